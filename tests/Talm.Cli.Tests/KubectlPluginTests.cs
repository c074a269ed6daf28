using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Talm.KubeApi;

namespace Talm.Cli.Tests;

/// <summary>
/// <c>kubectl talm status</c>: stock kubectl finds this talm on PATH as kubectl-talm and runs it against the
/// embedded API server, which the test fills through the real KubernetesClient.
/// </summary>
public sealed class KubectlPluginTests : IAsyncLifetime
{
    private const string Ns = "ztp-group";
    private readonly string _bin = Directory.CreateTempSubdirectory("talm-plugin-").FullName;
    private KubeApiServer _server = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        var crds = Directory.GetFiles(Path.Combine(dir!.FullName, "deploy", "crds"), "*.yaml");
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = crds });
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        // Installed as the docs say: a link named kubectl-talm to the talm program.
        File.CreateSymbolicLink(Path.Combine(_bin, "kubectl-talm"), Path.Combine(AppContext.BaseDirectory, "talm"));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_bin, recursive: true);
    }

    private static JsonObject Status(DateTimeOffset now, string spoke1) => new()
    {
        ["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Progressing", ["status"] = "True", ["reason"] = "InProgress", ["message"] = "Remediating non-compliant policies",
            ["lastTransitionTime"] = now.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        }),
        ["managedPoliciesForUpgrade"] = new JsonArray(new JsonObject { ["name"] = "upgrade", ["namespace"] = "ztp-policies" }),
        ["remediationPlan"] = new JsonArray(new JsonArray("spoke1", "spoke3")),
        ["backup"] = new JsonObject
        {
            ["startedAt"] = now.AddMinutes(-15).ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["status"] = new JsonObject { ["spoke1"] = "Succeeded", ["spoke2"] = "UnrecoverableError", ["spoke3"] = "Succeeded" },
            ["details"] = new JsonObject
            {
                ["spoke1"] = new JsonObject { ["bytes"] = 3221225472L, ["files"] = 3400, ["durationSeconds"] = 81.2, ["jobSeconds"] = 95 },
                ["spoke2"] = new JsonObject { ["jobSeconds"] = 12 },
            },
        },
        ["status"] = new JsonObject
        {
            ["startedAt"] = now.AddMinutes(-10).ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["currentBatch"] = 1,
            ["currentBatchStartedAt"] = now.AddMinutes(-10).ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["currentBatchRemediationProgress"] = new JsonObject
            {
                ["spoke1"] = new JsonObject { ["state"] = spoke1, ["policyIndex"] = 0 },
                ["spoke3"] = new JsonObject { ["state"] = "Completed" },
            },
        },
    };

    private async Task CguAsync(DateTimeOffset now)
    {
        var cgu = new JsonObject
        {
            ["apiVersion"] = "ran.openshift.io/v1alpha1", ["kind"] = "ClusterGroupUpgrade",
            ["metadata"] = new JsonObject { ["name"] = "cgu", ["namespace"] = Ns },
            ["spec"] = new JsonObject
            {
                ["clusters"] = new JsonArray("spoke1", "spoke2", "spoke3"), ["managedPolicies"] = new JsonArray("upgrade"),
                ["backup"] = true, ["enable"] = true,
                ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 2, ["timeout"] = 240 },
            },
        };
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(cgu, "ran.openshift.io", "v1alpha1", Ns, "clustergroupupgrades");
        await SetStatusAsync(Status(now, "InProgress"));
    }

    private Task SetStatusAsync(JsonObject status) =>
        _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(new JsonObject { ["status"] = status }.ToJsonString(), V1Patch.PatchType.MergePatch),
            "ran.openshift.io", "v1alpha1", Ns, "clustergroupupgrades", "cgu");

    private Process Kubectl(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["PATH"] = _bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["KUBECONFIG"] = _server.KubeconfigPath;
        return Process.Start(start)!;
    }

    [Fact]
    public async Task Status_shows_each_cluster_with_its_backup_batch_policy_and_time_left()
    {
        await CguAsync(DateTimeOffset.UtcNow);
        using var kubectl = Kubectl("talm", "status", "cgu", "-n", Ns);
        var output = await kubectl.StandardOutput.ReadToEndAsync();
        var error = await kubectl.StandardError.ReadToEndAsync();
        await kubectl.WaitForExitAsync();
        Assert.True(kubectl.ExitCode == 0, output + error);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"clustergroupupgrade {Ns}/cgu: InProgress (Remediating non-compliant policies), batch 1/1, 3h", lines[0], StringComparison.Ordinal);
        Assert.Equal(["CLUSTER", "BACKUP", "SIZE", "TOOK", "BATCH", "STATE", "POLICY", "TIME", "LEFT"], Words(lines[1]));
        // spoke1 upgrades in batch 1: its batch (the only one) has what is left of the 240 minutes.
        var spoke1 = Words(lines.Single(l => l.StartsWith("spoke1", StringComparison.Ordinal)));
        Assert.Equal(["spoke1", "Succeeded", "3.0", "GiB", "1m21s", "1/1", "upgrading", "upgrade"], spoke1[..8]);
        Assert.Matches("^3h(49|50)m$", spoke1[8]);
        Assert.Equal(["spoke2", "UnrecoverableError", "-", "12s", "-", "left", "out", "(backup", "UnrecoverableError)", "-", "-"],
            Words(lines.Single(l => l.StartsWith("spoke2", StringComparison.Ordinal))));
        Assert.Equal(["spoke3", "Succeeded", "-", "-", "1/1", "complete", "-", "-"], Words(lines.Single(l => l.StartsWith("spoke3", StringComparison.Ordinal))));

        using var missing = Kubectl("talm", "status", "nope", "-n", Ns);
        var missingError = await missing.StandardError.ReadToEndAsync();
        await missing.WaitForExitAsync();
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"clustergroupupgrade {Ns}/nope not found", missingError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_shows_the_CGU_again_when_it_changes()
    {
        var now = DateTimeOffset.UtcNow;
        await CguAsync(now);
        using var kubectl = Kubectl("talm", "status", "cgu", "-n", Ns, "--watch");
        var seen = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            while (await kubectl.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (seen) seen.AppendLine(line);
            }
        });
        string Seen() { lock (seen) return seen.ToString(); }
        try
        {
            await WaitForAsync(() => Seen().Contains("upgrading", StringComparison.Ordinal), Seen);
            await SetStatusAsync(Status(now, "Completed"));
            // The second rendering: spoke1 done.
            await WaitForAsync(() => Words(Seen().Split('\n').LastOrDefault(l => l.StartsWith("spoke1", StringComparison.Ordinal)) ?? "").Contains("complete"), Seen);
            Assert.Equal(2, Seen().Split('\n').Count(l => l.StartsWith("clustergroupupgrade ", StringComparison.Ordinal)));
        }
        finally
        {
            kubectl.Kill(entireProcessTree: true);
            await kubectl.WaitForExitAsync();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out; output so far:\n" + what());
            await Task.Delay(100);
        }
    }

    private static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
