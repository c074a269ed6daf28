using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// The staged, resumable restore of docs/recovery.md: pre-checks, then <c>restore_files</c> (reboot),
/// <c>restore_cluster</c> and the final redeployment, each recorded in the progress file only once
/// complete, so a failed stage is simply run again by <c>--resume</c>. The checks before anything is changed are in
/// RestoreRunner.Checks.cs; each stage is a type (<see cref="IRestoreStage"/>) run by the loop here.
/// </summary>
public sealed partial class RestoreRunner(RestoreOptions options, NodeToolRunner tools, RecoveryLog log, TimeProvider time)
{
    /// <summary>The stages in their order; the progress file records each once complete.</summary>
    private static readonly IRestoreStage[] Stages = [new RestoreFilesStage(), new RestoreClusterStage(), new RedeployStage()];

    private readonly BackupDirectory _dir = new(options.BackupDir);
    private ProgressFile Progress => _dir.Progress;

    /// <summary>The four static pods whose manifests come back from the backup's resources archive.</summary>
    public static readonly IReadOnlyList<string> StaticPods = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    public string ProgramName => options.InvokedAs ?? DefaultProgramName(options.BackupDir);

    /// <summary>
    /// A host directory, resolved as the node resolves it (RHCOS's <c>/usr/local -&gt; ../var/usrlocal</c>) but never
    /// outside the host root, and opened: every operation below it goes through the handle.
    /// </summary>
    internal static ConfinedDirectory HostDirectory(ConfinedDirectory host, string hostPath, bool create = false) =>
        host.OpenDirectory(hostPath.TrimStart('/'), SymlinkPolicy.InRoot, create);

    public static string DefaultProgramName(string backupDir)
    {
        var script = new BackupDirectory(backupDir).RecoveryScript;
        return File.Exists(script) ? script : $"talm recovery restore --dir {backupDir}";
    }

    public async Task<RestoreOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var stages = PreChecks();
        using var backupLock = _dir.TryLock()
            ?? throw new RestoreFailedException($"A backup or another restore is running in {options.BackupDir} (it holds {BackupDirectory.LockName}); wait for it to finish, then run again. Nothing on the node was changed.");
        using var host = OpenHostRoot();
        EtcdRestoreTool etcdTool;
        string root;
        BackupManifest manifest;
        try
        {
            var source = RestoreSource.Choose(options.BackupDir, options.Generation, stages.Count > 0, ProgramName);
            root = source.Root;
            manifest = ReadManifest(root);

            if (stages.Count == 0)
            {
                var active = ActiveDeployment();
                CheckPinned(active);
                CheckOrigin(manifest, host, active);
            }
            else
            {
                CheckSameHostRoot();
            }

            etcdTool = EtcdRestoreTool.Find(options.EtcdRestore, options.Host, tools.SearchPath);
            await VerifyBackupAsync(source, stages.Count == 0, manifest.Totals.Bytes, cancellationToken).ConfigureAwait(false);

            if (stages.Count == 0)
            {
                Progress.RecordHostRoot(options.HostRoot);
                source.Record(options.BackupDir);
                Progress.Append(RestoreStage.Started);
                stages = [RestoreStage.Started];
                log.Info($"Restore started from {source.Describe()}: the backup of {manifest.Host} taken {manifest.CompletedAt:yyyy-MM-dd HH:mm:ss} UTC");
            }
            else if (!source.IsCurrent)
            {
                log.Info($"Continuing from {source.Describe()}, as the restore began");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RestoreFailedException($"{e.Message}; the restore cannot start. Nothing on the node was changed.", e);
        }

        var context = new RestoreContext(options, tools, log, time, _dir, Progress, ProgramName) { Manifest = manifest, Root = root, Host = host, EtcdTool = etcdTool };
        while (true)
        {
            var stage = NextAfter(stages[^1]);
            try
            {
                if (await stage.RunAsync(context, cancellationToken).ConfigureAwait(false) is { } outcome)
                {
                    return outcome;
                }

                stages = Progress.Read().ToList();
            }
            catch (Exception e) when (e is not RestoreFailedException)
            {
                // Whatever went wrong (a tool, the disk, a bug), the node is partly restored and the answer is the same.
                var cause = Cause(e, cancellationToken);
                throw new RestoreFailedException(
                    $"Stage {stage.Name} failed: {cause}\n" +
                    $"Completed stages: {CompletedStages()}. Fix the cause above, then run '{ProgramName} --resume' to retry stage {stage.Name}, " +
                    $"or '{ProgramName} --restart' to start the restore over.",
                    e,
                    RestoreFailure.StageFailed);
            }
        }
    }

    /// <summary>The stage after the last one the progress file records.</summary>
    private static IRestoreStage NextAfter(string last) => last switch
    {
        RestoreStage.Started => Stages[0],
        RestoreStage.RestoreFiles => Stages[1],
        _ => Stages[2],
    };

    private string CompletedStages()
    {
        try
        {
            return string.Join(", ", Progress.Read());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return $"unknown ({e.Message})";
        }
    }

    /// <summary>The one line that says what went wrong: the first real error inside parallel work, and whether there were more.</summary>
    private static string Cause(Exception e, CancellationToken cancellationToken)
    {
        if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return "interrupted";
        }

        var more = 0;
        while (e is AggregateException aggregate)
        {
            var inner = aggregate.Flatten().InnerExceptions;
            more += inner.Count - 1;
            e = inner[0];
        }

        var known = e is NodeToolException or IOException or TimeoutException or OstreeException or UnauthorizedAccessException or InvalidDataException;
        var text = known ? e.Message : $"unexpected {e.GetType().Name}: {e.Message} (please report this)";
        return more > 0 ? $"{text} (and {more} more error(s) like it)" : text;
    }
}
