using Talm.Recovery.NodeTools;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// Puts back the backup's static pod resources archive (current revision of each static pod, relative
/// to /etc/kubernetes). It is unpacked beside the host tree and only files that are missing or differ are
/// copied in: after the /etc restore they normally all match already, and rewriting them would lose the
/// nanosecond timestamps the /etc mirror just restored (tar keeps whole seconds).
/// </summary>
public sealed class StaticPodResources(NodeToolRunner tools, RecoveryLog log)
{
    /// <param name="kubernetes">The host's <c>/etc/kubernetes</c>, opened beneath the host root; nothing is written outside it.</param>
    public async Task<int> PutBackAsync(string step, string archive, ConfinedDirectory kubernetes, string scratchDir, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kubernetes);
        if (Directory.Exists(scratchDir))
        {
            Directory.Delete(scratchDir, recursive: true);
        }

        Directory.CreateDirectory(scratchDir);
        try
        {
            await tools.RunAsync(step, "tar", ["-xzpf", archive, "-C", scratchDir, "--numeric-owner"], cancellationToken).ConfigureAwait(false);
            var copied = UnpackedTree.CopyInto(scratchDir, kubernetes, SymlinkPolicy.Refuse, onlyWhatDiffers: true, withXattrs: false);
            log.Info(copied == 0
                ? "Static pod resources of the backup's revisions are in place"
                : $"Put back {copied} static pod resource file(s) from the backup's archive");
            return copied;
        }
        finally
        {
            Directory.Delete(scratchDir, recursive: true);
        }
    }
}
