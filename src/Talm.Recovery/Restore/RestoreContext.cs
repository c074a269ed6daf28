using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>One stage of the restore (docs/recovery.md), run by <see cref="RestoreRunner"/>'s loop.</summary>
internal interface IRestoreStage
{
    /// <summary>Its name in the progress file and in messages.</summary>
    string Name { get; }

    /// <summary>Runs the stage and records it in the progress file once complete; returns where the restore stops, or null to go on with the next stage.</summary>
    Task<RestoreOutcome?> RunAsync(RestoreContext context, CancellationToken cancellationToken);
}

/// <summary>What every stage works with: the request, the node's tools, the backup it restores from and the host root's handle.</summary>
internal sealed class RestoreContext(RestoreOptions options, NodeToolRunner tools, RecoveryLog log, TimeProvider time, BackupDirectory directory, ProgressFile progress, string programName)
{
    public RestoreOptions Options => options;

    public NodeToolRunner Tools => tools;

    public RecoveryLog Log => log;

    public TimeProvider Time => time;

    /// <summary>The backup directory: where the restore keeps its progress and scratch space.</summary>
    public BackupDirectory Directory => directory;

    public ProgressFile Progress => progress;

    /// <summary>How the engineer started us, for the "run X --resume" messages.</summary>
    public string ProgramName => programName;

    public required BackupManifest Manifest { get; init; }

    /// <summary>The restore point's directory (the backup's generation the restore began from).</summary>
    public required string Root { get; init; }

    /// <summary>The host root, opened: every write on the host goes through it.</summary>
    public required ConfinedDirectory Host { get; init; }

    public required EtcdRestoreTool EtcdTool { get; init; }

    /// <summary>Runs a node tool, saying so while it takes long (stopping kubelet or removing every pod can take minutes).</summary>
    public async Task Tool(string step, string name, params string[] args)
    {
        using var beat = Heartbeat.Start(log, time, options.HeartbeatPeriod, $"'{string.Join(' ', args.Prepend(name))}' to finish");
        await tools.RunAsync(step, name, args).ConfigureAwait(false);
    }

    /// <summary>Makes one host tree the backup's again, rewriting only what differs.</summary>
    public void Mirror(RestoredTree tree, CancellationToken cancellationToken)
    {
        var hostPath = tree.HostPath;
        using var target = RestoreRunner.HostDirectory(Host, hostPath, create: true);
        var resolved = "/" + target.Relative;
        log.Info($"Restoring {hostPath}{(resolved == hostPath ? "" : $" (that is {resolved})")} from {tree.BackupName}/ (only what differs is rewritten)");
        var request = tree.Request(Root, Manifest, target.Path);
        var result = new TreeMirror(options.Parallelism).Mirror(request, target, new SynchronousProgress(log), cancellationToken);
        log.Info($"Restored {hostPath}: {result.Entries} entries, {result.Copied} rewritten ({result.BytesCopied / (1024.0 * 1024.0):0.0} MiB), " +
                 $"{result.MetadataFixed} metadata fixed, {result.Deleted} removed, {result.Hashed} hashed, in {result.Duration.TotalSeconds:0.0}s");
    }

    /// <summary>Reports mirror progress on the calling thread (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress(RecoveryLog log) : IProgress<MirrorProgress>
    {
        public void Report(MirrorProgress value) => log.Info($"  {value.Name}: {value.Done}/{value.Total} entries checked");
    }
}
