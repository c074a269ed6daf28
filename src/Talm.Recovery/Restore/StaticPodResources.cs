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
    public async Task<int> PutBackAsync(string step, string archive, string kubernetesDir, string scratchDir, CancellationToken cancellationToken)
    {
        if (Directory.Exists(scratchDir))
        {
            Directory.Delete(scratchDir, recursive: true);
        }

        Directory.CreateDirectory(scratchDir);
        try
        {
            await tools.RunAsync(step, "tar", ["-xzpf", archive, "-C", scratchDir, "--numeric-owner"], cancellationToken).ConfigureAwait(false);
            var copied = 0;
            foreach (var source in Directory.EnumerateFileSystemEntries(scratchDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var rel = Path.GetRelativePath(scratchDir, source);
                var target = Path.Combine(kubernetesDir, rel);
                var status = Posix.LStat(source);
                switch (status.Kind)
                {
                    case FileKind.Directory when !Directory.Exists(target):
                        Directory.CreateDirectory(target);
                        Posix.LChown(target, status.Uid, status.Gid);
                        Posix.Chmod(target, status.Permissions);
                        break;
                    case FileKind.Regular when !SameContent(source, target, status.Size):
                        var temp = target + ".talm-new";
                        File.Copy(source, temp, overwrite: true);
                        Posix.LChown(temp, status.Uid, status.Gid);
                        Posix.Chmod(temp, status.Permissions);
                        Posix.SetTimes(temp, status.AtimeNs, status.MtimeNs);
                        Posix.Rename(temp, target);
                        copied++;
                        break;
                }
            }

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

    /// <summary>The manifest of a static pod as the archive holds it, or null.</summary>
    public static string? ArchivedManifest(string kubernetesDir, string relative)
    {
        var path = Path.Combine(kubernetesDir, relative);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    private static bool SameContent(string source, string target, long size) =>
        Posix.TryLStat(target) is { Kind: FileKind.Regular } t && t.Size == size && TreeMirror.Sha256Of(source) == TreeMirror.Sha256Of(target);
}
