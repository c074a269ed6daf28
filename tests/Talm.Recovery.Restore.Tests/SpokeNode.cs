using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Processes;
using Talm.Sandbox;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// A <c>small</c> sandbox host from <c>talm lab make-host</c>, backed up by the real backup engine
/// (<c>talm recovery backup</c>) against a real etcd, with recording stand-ins for the node tools.
/// </summary>
public sealed class SpokeNode : IDisposable
{
    private readonly TempDir _dir = new("trs");

    private SpokeNode()
    {
        StandIns = new StandIns(_dir.Path, Host);
        Kubeconfig = Path.Combine(_dir.Path, "kubeconfig");
        File.WriteAllText(Kubeconfig, "apiVersion: v1\nkind: Config\n");
    }

    public string Host => Path.Combine(_dir.Path, "host");

    public string BackupDir => Path.Combine(_dir.Path, "recovery");

    public string Kubeconfig { get; }

    public StandIns StandIns { get; }

    public SandboxSeed Seed { get; private set; } = null!;

    public SortedDictionary<string, string> PreUpgradeKeys { get; private set; } = [];

    public string EtcdData => Path.Combine(Host, "var/lib/etcd");

    public string BackupRoot => new BackupDirectory(BackupDir).CurrentRoot()!;

    public string PinnedChecksum { get; private set; } = "";

    /// <param name="program">The talm the backup carries (its bin/); null for a placeholder when the restore runs in-process.</param>
    public static async Task<SpokeNode> CreateAsync(ProgramLocation? program = null)
    {
        var node = new SpokeNode();
        try
        {
            node.Seed = await new SandboxHost(node.Host, SandboxProfile.Small, 11).CreateAsync();
            await node.BackupAsync(program);
            return node;
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    /// <summary>Another backup of the node as it is now, keeping <paramref name="keep"/> restore points; returns the new generation's ID.</summary>
    public async Task<string> BackupAgainAsync(int keep)
    {
        await BackupAsync(null, keep);
        return new BackupDirectory(BackupDir).CurrentId()!;
    }

    private async Task BackupAsync(ProgramLocation? program, int? keep = null)
    {
        if (program is null)
        {
            var placeholder = Path.Combine(_dir.Path, "program");
            Directory.CreateDirectory(placeholder);
            File.WriteAllText(Path.Combine(placeholder, "talm.dll"), "placeholder: the tests run the restore in-process");
            program = new ProgramLocation(placeholder, "talm.dll");
        }

        using (var etcd = EtcdServer.Start(EtcdData, "sandbox"))
        {
            PreUpgradeKeys = etcd.All();
            var options = new BackupOptions
            {
                HostRoot = Host,
                BackupDir = BackupDir,
                Etcd = new EtcdConnection { Endpoint = new Uri(etcd.Endpoint) },
                SpaceMargin = 0,
                Parallelism = 2,
                Program = program,
                ToolVersion = "test",
                Keep = keep,
            };
            var outcome = await new BackupRunner(options, new ProcessRunner(), NullLogger.Instance, TimeProvider.System, NullProgressReporter.Instance).RunAsync();
            Assert.True(outcome.ExitCode == 0, outcome.Message);
        }

        PinnedChecksum = ManifestStore.Read(BackupRoot).Ostree!.Checksum;
    }

    /// <summary>A failed upgrade: a new OS deployment, 5% of the files changed, etcd keys written and deleted.</summary>
    public UpgradeChanges SimulateUpgrade()
    {
        OstreeHost.CommitAndDeploy(Host, "418.0-upgrade");
        var changes = UpgradeSimulator.Apply(Host, 0.05, 5);
        foreach (var extra in Seed.ExtraFiles)
        {
            File.AppendAllText(Path.Join(Host, extra), "changed by the upgrade\n");
        }

        using var etcd = EtcdServer.Start(EtcdData, "sandbox");
        etcd.Put(Seed.SampleKey, "overwritten by the upgrade");
        etcd.Put("/kubernetes.io/configmaps/openshift-upgrade/new", "added by the upgrade");
        etcd.Delete(PreUpgradeKeys.Keys.First(k => k != Seed.SampleKey));
        return changes;
    }

    /// <summary>A program as the node's engineer runs it: the stand-ins first on PATH, KUBECONFIG set; output captured.</summary>
    public (int Exit, string Out, string Err) Run(string file, params string[] args)
    {
        using var process = Process.Start(StartInfo(file, args, redirect: true))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>The same, left running, its output on the test's console.</summary>
    public Process Start(string file, params string[] args) => Process.Start(StartInfo(file, args, redirect: false))!;

    private ProcessStartInfo StartInfo(string file, string[] args, bool redirect)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = redirect, RedirectStandardError = redirect };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PATH"] = StandIns.SearchPath;
        start.Environment["KUBECONFIG"] = Kubeconfig;
        return start;
    }

    public void Dispose()
    {
        Backup.PodmanRunRoot.RemoveFor(Host);
        _dir.Dispose();
    }
}
