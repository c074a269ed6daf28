using Talm.Lab.Spokes;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Processes;

namespace Talm.Lab.Recover;

/// <summary>
/// <c>talm lab recover NAME</c>: on a full-fidelity spoke whose upgrade failed, runs the real recovery
/// (platform rollback, restore of files, a simulated reboot, <c>--resume</c> for the cluster; or, unattended, the one
/// command and the one-shot unit at the simulated boot), then proves the spoke is back: the pinned deployment is the
/// default, the trees equal the backup's manifest, and etcd holds exactly the pre-upgrade keys and values.
/// </summary>
public sealed class LabRecovery(FullSpokeSettings talm, TextWriter output)
{
    /// <param name="unattended">Recover as <c>restore --unattended --reboot</c> does: one command, then the one-shot unit at the simulated boot.</param>
    public async Task<RecoveryProof> RecoverAsync(string labDir, string name, CancellationToken ct, bool unattended = false)
    {
        var spoke = SpokeDirectory.Of(labDir, name);
        if (!File.Exists(Path.Combine(spoke.Host, ".sandbox.json")))
            throw new LabRecoveryException($"There is no full-fidelity spoke {name} in {labDir}; run 'talm lab up --fail-upgrade {name}' first (or pass --dir).");
        var state = File.Exists(spoke.UpgradeMarker) ? (await File.ReadAllTextAsync(spoke.UpgradeMarker, ct)).Trim() : "not upgraded";
        if (!File.Exists(spoke.PreUpgradeKeys))
            throw new LabRecoveryException($"{name} was never upgraded (state: {state}), so there is nothing to recover; pick a spoke given to --fail-upgrade.");
        var backupRoot = new BackupDirectory(spoke.Backup).CurrentRoot()
            ?? throw new LabRecoveryException($"{name} has no committed backup in {spoke.Backup}; its backup must have succeeded before the upgrade to recover it.");
        await output.WriteLineAsync($"Recovering {name} (upgrade state: {state}) from the backup in {backupRoot}");

        // A reboot stops everything the node ran, etcd included (it may still run under 'lab up --keep').
        await SpokeEtcd.StopRecordedAsync(spoke.EtcdPid);
        var tools = LabNodeTools.Create(spoke.NodeTools, spoke.Host);
        var kubeconfig = Path.Combine(spoke.Root, "kubeconfig");
        if (!File.Exists(kubeconfig))
            await File.WriteAllTextAsync(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n", ct);
        var env = new Dictionary<string, string> { ["PATH"] = tools.SearchPath(), ["KUBECONFIG"] = kubeconfig };

        IReadOnlyList<string> unattendedProblems = [];
        if (unattended)
        {
            unattendedProblems = await new LabUnattendedRecovery(output).RunAsync(spoke, tools, kubeconfig, env, Step, ct);
        }
        else
        {
            await Step("1/4 platform rollback: make the pinned deployment the default", ["recovery", "rollback", "--host-root", spoke.Host], env, spoke, ct);
            await Step("2/4 restore files (stage restore_files)", ["recovery", "restore", "--host-root", spoke.Host, "--dir", spoke.Backup], env, spoke, ct);
            await output.WriteLineAsync("3/4 simulated reboot: the node's services are stopped and start again");
            await Step("4/4 restore the cluster (stage restore_cluster and redeployment)", ["recovery", "restore", "--host-root", spoke.Host, "--dir", spoke.Backup, "--resume"], env, spoke, ct);
        }

        var proof = await ProveAsync(spoke, backupRoot, ct) with { UnattendedProblems = unattendedProblems };
        await output.WriteLineAsync(proof.PinnedIsDefault
            ? $"  ok: the pinned deployment {proof.DefaultDeployment} is the default"
            : $"  FAILED: the default deployment {proof.DefaultDeployment} is not the pinned one");
        await output.WriteLineAsync(proof.TreeProblems.Count == 0
            ? "  ok: /etc, /usr/local and /var/lib/kubelet are identical to the backup's manifest"
            : "  FAILED: trees differ from the backup:\n    " + string.Join("\n    ", proof.TreeProblems));
        await output.WriteLineAsync(proof.EtcdProblems.Count == 0
            ? $"  ok: etcd holds exactly the {proof.EtcdKeys} pre-upgrade keys and values"
            : "  FAILED: etcd differs from before the upgrade:\n    " + string.Join("\n    ", proof.EtcdProblems));
        if (unattended)
        {
            await output.WriteLineAsync(proof.UnattendedProblems.Count == 0
                ? "  ok: the unit ran once, disabled itself and is gone; the result is on the node and in the ConfigMap"
                : "  FAILED: the unattended restore:\n    " + string.Join("\n    ", proof.UnattendedProblems));
        }

        await output.WriteLineAsync(proof.Ok ? $"{name} is recovered." : $"{name} is NOT fully recovered; see {spoke.Log}.");
        return proof;
    }

    internal async Task Step(string title, string[] args, Dictionary<string, string> env, SpokeDirectory spoke, CancellationToken ct)
    {
        await output.WriteLineAsync(title);
        var r = await new ProcessRunner(environment: env.ToDictionary(e => e.Key, e => (string?)e.Value), transcript: spoke.Log).TryRunAsync(talm.TalmFile, [.. talm.TalmPrefix, .. args], ct);
        foreach (var line in (r.StandardOutput + r.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(6))
            await output.WriteLineAsync("    " + line);
        if (r.ExitCode != 0)
            throw new LabRecoveryException($"'talm {string.Join(' ', args)}' failed with exit code {r.ExitCode}; see {spoke.Log}");
    }

    /// <summary>The checks, on their own (also used by tests after a recovery).</summary>
    public static async Task<RecoveryProof> ProveAsync(SpokeDirectory spoke, string backupRoot, CancellationToken ct)
    {
        var status = (await new ProcessRunner().RunAsync("ostree", ["admin", "status", "--sysroot=" + spoke.Host], ct)).StandardOutput;
        var deployments = OstreeStatusParser.Parse(status);
        var first = deployments.OrderBy(d => d.Index).FirstOrDefault();
        var pinnedIsDefault = first is { Pinned: true };
        var manifest = ManifestStore.Read(backupRoot);
        var trees = TreeCheck.Compare(spoke.Host, backupRoot, manifest);

        var want = await EtcdKeys.LoadAsync(spoke.PreUpgradeKeys, ct);
        await using var etcd = await SpokeEtcd.StartAsync(spoke.EtcdData, spoke.EtcdLog, ct);
        var have = await EtcdKeys.ReadAsync(etcd.Etcdctl, ct);
        return new RecoveryProof(pinnedIsDefault, first is null ? "(none)" : $"{first.Checksum[..Math.Min(12, first.Checksum.Length)]} {first.Version}".Trim(),
            trees, have.Count, EtcdKeys.Diff(want, have));
    }
}
