using Talm.Recovery.Layout;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// <c>restore_files</c>: with SELinux permissive, stops kubelet, removes every pod, stops and wipes CRI-O, mirrors
/// <c>/usr/local</c> and <c>/etc</c>, unpacks the extras and disables kubelet for the reboot that follows.
/// </summary>
internal sealed class RestoreFilesStage : IRestoreStage
{
    public string Name => RestoreStage.RestoreFiles;

    public async Task<RestoreOutcome?> RunAsync(RestoreContext context, CancellationToken cancellationToken)
    {
        var step = Name;
        var log = context.Log;
        log.Info($"Stage {step}: stopping the node's workloads and restoring /usr/local and /etc");
        await context.Tool(step, "setenforce", "0").ConfigureAwait(false);
        var completed = false;
        try
        {
            await context.Tool(step, "systemctl", "stop", "kubelet").ConfigureAwait(false);
            await context.Tool(step, "crictl", "rmp", "-fa").ConfigureAwait(false);
            await context.Tool(step, "systemctl", "stop", "crio").ConfigureAwait(false);
            await context.Tool(step, "crio", "wipe", "-f").ConfigureAwait(false);

            foreach (var tree in RestoredTree.All.Where(t => t.Stage == step))
            {
                context.Mirror(tree, cancellationToken);
            }

            var extras = Path.Combine(context.Root, BackupLayout.ExtrasArchive);
            if (File.Exists(extras))
            {
                log.Info("Unpacking extras.tgz (machine-config files outside the three trees) at /");
                await UnpackExtrasAsync(context, step, extras, cancellationToken).ConfigureAwait(false);
            }

            await context.Tool(step, "systemctl", "daemon-reload").ConfigureAwait(false);
            await context.Tool(step, "systemctl", "disable", "kubelet").ConfigureAwait(false);
            context.Progress.Append(step);
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // Leave SELinux as we found it even when the stage fails; the failure is the error to report.
                await context.Tools.TryRunAsync(step, "setenforce", ["1"], CancellationToken.None).ConfigureAwait(false);
            }
        }

        await context.Tool(step, "setenforce", "1").ConfigureAwait(false);
        log.Info($"Stage {step} complete");
        if (!context.Options.Unattended)
        {
            log.Info($"Please reboot now with 'systemctl reboot', then run '{context.ProgramName} --resume'");
        }

        return RestoreOutcome.RebootRequired;
    }

    /// <summary>tar unpacks beside the backup, never on the host; the files then go in through the host root's handle.</summary>
    private static async Task UnpackExtrasAsync(RestoreContext context, string step, string archive, CancellationToken cancellationToken)
    {
        var scratch = context.Directory.ExtrasScratch;
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        Directory.CreateDirectory(scratch);
        try
        {
            await context.Tools.RunAsync(step, "tar", ["-xzpf", archive, "-C", scratch, "--numeric-owner", "--xattrs", "--xattrs-include=*"], cancellationToken).ConfigureAwait(false);
            UnpackedTree.CopyInto(scratch, context.Host, SymlinkPolicy.InRoot, onlyWhatDiffers: false, withXattrs: true);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
