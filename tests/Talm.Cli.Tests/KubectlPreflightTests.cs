using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Api.Meta;
using Talm.KubeApi;
using Talm.Lab.Hub;
using Talm.Lab.Rhacm;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;

namespace Talm.Cli.Tests;

/// <summary>
/// <c>kubectl talm preflight</c>: stock kubectl runs this talm as its plugin against the embedded API server, where the
/// lab's simulated RHACM carries the pre-flight's actions and views to fast spokes that answer the Job as the agent
/// would (cnfdb2 short of space, cnfdb3 already compliant, cnfdb4 slow to answer, cnfdb5 unreachable).
/// </summary>
public sealed class KubectlPreflightTests : IAsyncLifetime
{
    private const string Ns = HubObjects.GroupNamespace;
    private const string Image = "quay.io/talm/recovery:test";
    private readonly string _bin = Directory.CreateTempSubdirectory("talm-preflight-").FullName;
    private readonly Dictionary<string, SimulatedSpoke> _spokes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private KubeApiServer _server = null!;
    private HubClient _hub = null!;
    private Task _rhacm = Task.CompletedTask;

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        return dir!.FullName;
    }

    private static string[] Crds(bool rhacm) =>
        [.. (rhacm ? new[] { "deploy/crds", "deploy/lab-crds" } : ["deploy/crds"]).SelectMany(d => Directory.GetFiles(Path.Combine(RepoRoot(), d), "*.yaml").Order(StringComparer.Ordinal))];

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = Crds(rhacm: true) });
        _hub = HubClient.FromKubeconfig(_server.KubeconfigPath);
        var timing = FastSpokeTiming.Instant;
        _spokes["cnfdb1"] = new FastSpoke("cnfdb1", SpokeFaults.None, timing, TimeProvider.System);
        _spokes["cnfdb2"] = new FastSpoke("cnfdb2", new SpokeFaults(FailBackup: true), timing, TimeProvider.System);
        _spokes["cnfdb3"] = new FastSpoke("cnfdb3", SpokeFaults.None, timing, TimeProvider.System);
        _spokes["cnfdb4"] = new FastSpoke("cnfdb4", SpokeFaults.None, timing with { Preflight = TimeSpan.FromHours(1) }, TimeProvider.System);
        _spokes["cnfdb5"] = new FastSpoke("cnfdb5", new SpokeFaults(Unreachable: true), timing, TimeProvider.System);
        _spokes["cnfdb3"].MarkCompliant(Ns + "." + HubObjects.PolicyName); // RHACM reports it Compliant: no upgrade, no backup
        _rhacm = new SimulatedRhacm(_hub, _spokes, TimeProvider.System, NullLogger.Instance).RunAsync(_stop.Token);
        await _hub.CreateAsync(Kinds.Namespace, HubObjects.Namespace(Ns), default);
        foreach (var n in _spokes.Keys)
        {
            await _hub.CreateAsync(Kinds.Namespace, HubObjects.Namespace(n), default);
            await _hub.CreateAsync(Kinds.ManagedCluster, HubObjects.ManagedCluster(n), default);
        }
        await _hub.CreateAsync(Kinds.Policy, HubObjects.PlatformUpgradePolicy(), default);
        await _hub.CreateAsync(Kinds.Placement, HubObjects.GroupPlacement(), default);
        await _hub.CreateAsync(Kinds.PlacementBinding, HubObjects.GroupPlacementBinding(), default);
        await WaitForAsync(async () => Json.Items(Json.At(await _hub.GetAsync(Kinds.Policy, Ns, HubObjects.PolicyName, default), "status", "status")).Count() == _spokes.Count);
        await CguAsync("window", "cnfdb1", "cnfdb2", "cnfdb3", "cnfdb5");
        File.CreateSymbolicLink(Path.Combine(_bin, "kubectl-talm"), Path.Combine(AppContext.BaseDirectory, "talm"));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _rhacm; }
        catch (OperationCanceledException) { }
        foreach (var s in _spokes.Values) await s.DisposeAsync();
        await _server.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_bin, recursive: true);
    }

    private Task CguAsync(string name, params string[] clusters)
    {
        var cgu = HubObjects.DefaultCgu(clusters, maxConcurrency: 2, enable: false);
        cgu["metadata"]!["name"] = name;
        cgu["apiVersion"] = "ran.openshift.io/v1alpha1";
        cgu["kind"] = "ClusterGroupUpgrade";
        return _hub.CreateAsync(Kinds.ClusterGroupUpgrade, cgu, default);
    }

    private async Task<(int Code, string Out, string Err)> KubectlAsync(string kubeconfig, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["PATH"] = _bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["KUBECONFIG"] = kubeconfig;
        start.Environment.Remove("RECOVERY_IMG");
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await output, await error);
    }

    private Task<(int Code, string Out, string Err)> PreflightAsync(params string[] args) =>
        KubectlAsync(_server.KubeconfigPath, ["talm", "preflight", .. args]);

    private async Task<IReadOnlyList<JsonNode>> OursAsync(KindInfo kind) =>
        [.. (await _hub.ListAsync(kind, default)).Items.Where(o => Json.Labels(o).ContainsKey("talm.openshift.io/preflight"))];

    private static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string Row(string output, string cluster) =>
        output.Split('\n').Single(l => l.StartsWith(cluster + " ", StringComparison.Ordinal));

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Each_cluster_the_CGU_would_back_up_gets_a_row_and_nothing_is_left_behind()
    {
        var (code, output, error) = await PreflightAsync("window", "-n", Ns, "--image", Image);
        Assert.True(code == 1, $"exit {code}\n{output}\n{error}");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches($"^pre-flight of clustergroupupgrade {Ns}/window: 3 clusters, 1 passed, 1 failed, 1 unavailable \\(\\d+s\\)$", lines[0]);
        Assert.Equal(["CLUSTER", "RESULT", "NEEDED", "FREE", "ETCD", "PREVIOUS", "PIN", "MESSAGE"], Words(lines[1]));
        Assert.Equal(["cnfdb1", "passed", "24.0", "GiB", "120.0", "GiB", "ok", "none", "ok", "the", "backup", "can", "run"], Words(Row(output, "cnfdb1")));
        Assert.StartsWith("cnfdb2 FAILED 24.0 GiB 20.0 GiB ok none ok space: insufficient disk space to trigger backup: 14.0 GiB needed",
            string.Join(' ', Words(Row(output, "cnfdb2"))), StringComparison.Ordinal);
        Assert.StartsWith("cnfdb5 unavailable - - - - - the hub reports it unavailable", string.Join(' ', Words(Row(output, "cnfdb5"))), StringComparison.Ordinal);
        Assert.Contains("not checked, already compliant (no upgrade, no backup): cnfdb3", output, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("cnfdb3", StringComparison.Ordinal));

        // Cleaned up: no pre-flight view or action on the hub, no namespace on the clusters; the backup's objects never touched.
        Assert.Empty(await OursAsync(Kinds.ManagedClusterView));
        Assert.Empty(await OursAsync(Kinds.ManagedClusterAction));
        foreach (var n in new[] { "cnfdb1", "cnfdb2" })
        {
            Assert.Null(_spokes[n].Get(SpokeObjectKey.Of("namespace", null, "openshift-talo-preflight")));
            Assert.Null(_spokes[n].Get(SpokeObjectKey.Of("clusterrolebinding", null, "talm-preflight")));
            Assert.Null(_spokes[n].Get(SpokeObjectKey.Of("namespace", null, "openshift-talo-backup")));
            Assert.Null(_spokes[n].LastBackup);
        }
        Assert.Empty(error);
    }

    [Fact]
    public async Task JSON_carries_each_agent_s_report_and_a_kept_run_is_cleared_by_the_next()
    {
        var (code, output, error) = await PreflightAsync("window", "-n", Ns, "--image", Image, "-o", "json", "--keep");
        Assert.True(code == 1, $"exit {code}\n{output}\n{error}");
        var json = JsonNode.Parse(output)!;
        Assert.False(json["ok"]!.GetValue<bool>());
        Assert.True(json["kept"]!.GetValue<bool>());
        Assert.Equal(Image, json["image"]!.GetValue<string>());
        Assert.Equal("cnfdb3", json["notChecked"]!["compliant"]![0]!.GetValue<string>());
        var byCluster = json["clusters"]!.AsArray().ToDictionary(c => c!["cluster"]!.GetValue<string>());
        Assert.Equal(["cnfdb1", "cnfdb2", "cnfdb5"], byCluster.Keys);
        Assert.Equal(("passed", "failed", "unavailable"),
            (byCluster["cnfdb1"]!["result"]!.GetValue<string>(), byCluster["cnfdb2"]!["result"]!.GetValue<string>(), byCluster["cnfdb5"]!["result"]!.GetValue<string>()));
        var report = byCluster["cnfdb2"]!["report"]!;
        Assert.Equal(1, report["exitCode"]!.GetValue<int>());
        Assert.Equal((14L << 30, 10L << 30, 20L << 30),
            (report["spaceNeededBytes"]!.GetValue<long>(), report["spaceMarginBytes"]!.GetValue<long>(), report["spaceFreeBytes"]!.GetValue<long>()));
        Assert.Equal(["space", "etcd", "previous", "pin"], report["checks"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal([false, true, true, true], report["checks"]!.AsArray().Select(c => c!["ok"]!.GetValue<bool>()));
        Assert.Equal([1, 3, 6, 7], report["checks"]!.AsArray().Select(c => c!["exitCode"]!.GetValue<int>()));

        // Kept: the views and actions on the hub, the Job on the cluster with the report on it.
        Assert.Contains(await OursAsync(Kinds.ManagedClusterView), v => Json.Namespace(v) == "cnfdb1" && Json.Name(v) == "talm-preflight-job-view");
        var job = _spokes["cnfdb2"].Get(SpokeObjectKey.Of("job", "openshift-talo-preflight", "talm-preflight"));
        Assert.Contains("insufficient disk space", Json.Str(job, "metadata", "annotations", "talm.openshift.io/preflight"), StringComparison.Ordinal);
        Assert.Equal(["launchBackup", "--dry-run"], Json.Strings(Json.At(job, "spec", "template", "spec", "containers", "0", "args")));

        // The next run removes the earlier run's objects and Job first, runs afresh, and cleans up.
        var before = Json.Str(job, "metadata", "uid");
        var again = await PreflightAsync("window", "-n", Ns, "--image", Image, "-o", "json", "--keep");
        Assert.Equal(1, again.Code);
        var fresh = _spokes["cnfdb2"].Get(SpokeObjectKey.Of("job", "openshift-talo-preflight", "talm-preflight"));
        Assert.NotEqual(before, Json.Str(fresh, "metadata", "uid"));
        var runs = (await OursAsync(Kinds.ManagedClusterAction)).Concat(await OursAsync(Kinds.ManagedClusterView))
            .Select(o => Json.Str(o, "metadata", "annotations", "talm.openshift.io/preflight-run")).Distinct().ToList();
        Assert.Single(runs);
        var last = await PreflightAsync("window", "-n", Ns, "--image", Image);
        Assert.Equal(1, last.Code);
        Assert.Empty(await OursAsync(Kinds.ManagedClusterView));
        Assert.Empty(await OursAsync(Kinds.ManagedClusterAction));
        Assert.Null(_spokes["cnfdb2"].Get(SpokeObjectKey.Of("namespace", null, "openshift-talo-preflight")));
    }

    [Fact]
    public async Task A_cluster_that_does_not_answer_in_time_is_timed_out_and_its_Job_removed()
    {
        await CguAsync("slow", "cnfdb4");
        var (code, output, error) = await PreflightAsync("slow", "-n", Ns, "--image", Image, "--timeout", "5s");
        Assert.True(code == 1, $"exit {code}\n{output}\n{error}");
        Assert.StartsWith("cnfdb4 timed out - - - - - no answer within 5s (last: the Job runs)", string.Join(' ', Words(Row(output, "cnfdb4"))), StringComparison.Ordinal);
        Assert.Null(_spokes["cnfdb4"].Get(SpokeObjectKey.Of("namespace", null, "openshift-talo-preflight")));
        Assert.Empty(await OursAsync(Kinds.ManagedClusterAction));
    }

    [Fact]
    public async Task What_keeps_it_from_running_is_one_line_and_exit_3()
    {
        var missing = await PreflightAsync("nope", "-n", Ns, "--image", Image);
        Assert.Equal((3, $"talm: preflight: clustergroupupgrade {Ns}/nope not found"), (missing.Code, missing.Err.Trim()));

        await CguAsync("compliant", "cnfdb3");
        var none = await PreflightAsync("compliant", "-n", Ns, "--image", Image);
        Assert.Equal(3, none.Code);
        Assert.Contains("no clusters to check: 1 of its 1 clusters already comply with its policies (no upgrade, so no backup)", none.Err, StringComparison.Ordinal);

        var noImage = await PreflightAsync("window", "-n", Ns);
        Assert.True(noImage.Code == 3, $"exit {noImage.Code}\n{noImage.Out}\n{noImage.Err}");
        Assert.Contains("give it with --image", noImage.Err, StringComparison.Ordinal);

        var badTimeout = await PreflightAsync("window", "-n", Ns, "--timeout", "soon");
        Assert.Equal(2, badTimeout.Code);

        // A hub without RHACM: said so before anything is made.
        await using var bare = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = Crds(rhacm: false) });
        var bareHub = HubClient.FromKubeconfig(bare.KubeconfigPath);
        await bareHub.CreateAsync(Kinds.Namespace, HubObjects.Namespace(Ns), default);
        var cgu = HubObjects.DefaultCgu(["cnfdb1"], 1, enable: false);
        cgu["apiVersion"] = "ran.openshift.io/v1alpha1";
        cgu["kind"] = "ClusterGroupUpgrade";
        await bareHub.CreateAsync(Kinds.ClusterGroupUpgrade, cgu, default);
        var noRhacm = await KubectlAsync(bare.KubeconfigPath, "talm", "preflight", HubObjects.CguName, "-n", Ns, "--image", Image);
        Assert.Equal(3, noRhacm.Code);
        Assert.Contains("this hub does not serve managedclusters.cluster.open-cluster-management.io", noRhacm.Err, StringComparison.Ordinal);
    }
}
