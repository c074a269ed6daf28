using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// The restore's own way of putting etcd back (<c>--etcd-restore etcdctl</c>): stops the etcd static pod, restores
/// the snapshot into a fresh data directory with the node's etcd tool, puts back the static pod resources of the
/// backup's revisions and the four static pods' manifests from them.
/// </summary>
internal sealed class EtcdStaticPodRestore(RestoreContext context)
{
    private const string EtcdManifest = "etcd-pod.yaml";

    public async Task RunAsync(string step, CancellationToken cancellationToken)
    {
        var (log, options, manifest, root) = (context.Log, context.Options, context.Manifest, context.Root);
        var containers = new NodeContainers(context.Tools, log, context.Time, options.HeartbeatPeriod);

        // /etc/kubernetes is inside the restored /etc: no symlink is followed below it.
        using var kubernetes = RestoreRunner.HostDirectory(context.Host, "/etc").OpenDirectory("kubernetes");
        using var manifests = kubernetes.OpenDirectory("manifests", create: true);

        // Kept in the backup directory, not under /etc/kubernetes, so the restored /etc stays an exact mirror.
        var stashed = context.Directory.StoppedEtcdPod;
        if (manifests.TryStat(EtcdManifest) is { Kind: FileKind.Regular })
        {
            log.Info("Stopping the etcd static pod (moving its manifest out of manifests/)");
            MoveOut(manifests, EtcdManifest, stashed);
        }

        await containers.WaitGoneAsync(step, "etcd", options.ContainerTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);

        var archive = Path.Combine(root, manifest.Etcd.StaticPodResourcesArchive);
        var archived = ArchivedManifests.Read(archive);
        var etcdYaml = archived.Paths.ContainsKey("etcd") ? archived.EtcdManifest : (File.Exists(stashed) ? await File.ReadAllTextAsync(stashed, cancellationToken).ConfigureAwait(false) : null);
        var (memberName, peerUrl) = EtcdMemberIdentity.FromManifest(etcdYaml, manifest.Host);
        var aside = await new EtcdDataRestore(context.Tools, log, context.Time, options.HeartbeatPeriod).RestoreAsync(
            step, context.EtcdTool, Path.Combine(root, manifest.Etcd.SnapshotFile), EtcdDataDirectory(), options.BackupDir, memberName, peerUrl, context.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (aside is not null)
        {
            log.Info($"The pre-recovery etcd data is kept in {aside}");
        }

        log.Info("Putting back the static pod resources of the backup's revisions");
        await new StaticPodResources(context.Tools, log).PutBackAsync(step, archive, kubernetes, context.Directory.StaticPodResourcesScratch, cancellationToken).ConfigureAwait(false);
        foreach (var pod in RestoreRunner.StaticPods)
        {
            if (archived.Paths.TryGetValue(pod, out var relative))
            {
                using var from = kubernetes.OpenDirectory(ManifestPath.Parent(relative));
                var name = Path.GetFileName(relative);
                using var input = from.OpenFile(name);
                PutFile(manifests, $"{pod}-pod.yaml", input, from.TryStat(name)!.Permissions);
            }
        }

        if (File.Exists(stashed))
        {
            if (!archived.Paths.ContainsKey("etcd"))
            {
                using var input = File.OpenHandle(stashed);
                PutFile(manifests, EtcdManifest, input, Posix.LStat(stashed).Permissions);
            }

            File.Delete(stashed);
        }
    }

    /// <summary>
    /// The etcd tools take a path: the data directory's parent is resolved beneath the host root, and the data
    /// directory itself must not be a symlink (it is renamed, never followed).
    /// </summary>
    private string EtcdDataDirectory()
    {
        using var varLib = RestoreRunner.HostDirectory(context.Host, "/var/lib");
        if (varLib.TryStat("etcd") is { Kind: FileKind.Symlink })
        {
            throw new SymlinkRefusedException(varLib.Child("etcd"));
        }

        return varLib.Child("etcd");
    }

    /// <summary>Moves a host file out into the backup directory (a copy when they are on different filesystems).</summary>
    private static void MoveOut(ConfinedDirectory dir, string name, string destination)
    {
        var mode = dir.TryStat(name)!.Permissions;
        File.Delete(destination);
        using (var input = dir.OpenFile(name))
        using (var output = File.Open(destination, FileMode.Create, FileAccess.Write))
        {
            Posix.CopyContent(input, output.SafeFileHandle, destination);
            output.Flush(flushToDisk: true);
        }

        Posix.Chmod(destination, mode);
        dir.Delete(name);
    }

    /// <summary>Writes <paramref name="content"/> as <paramref name="name"/>: beside it first, then renamed over it.</summary>
    private static void PutFile(ConfinedDirectory dir, string name, SafeFileHandle content, int mode)
    {
        const string temp = ".talm-new";
        dir.Delete(temp);
        using (var output = dir.CreateFile(temp))
        {
            Posix.CopyContent(content, output, dir.Child(name));
        }

        dir.SetMode(temp, mode);
        dir.Rename(temp, name);
    }

    /// <summary>
    /// Which static pod manifests the resources archive holds (pod → path relative to /etc/kubernetes), and the etcd
    /// one's text, read in one pass over the archive.
    /// </summary>
    private sealed record ArchivedManifests(Dictionary<string, string> Paths, string? EtcdManifest)
    {
        public static ArchivedManifests Read(string archive)
        {
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            string? etcd = null;
            using var file = File.OpenRead(archive);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (PodOf(name) is not { } pod)
                {
                    continue;
                }

                // tar -t lists the last of two same-named members as the one that counts; so does this.
                paths[pod] = name;
                if (pod == "etcd")
                {
                    etcd = null;
                    if (entry.DataStream is not null)
                    {
                        using var reader = new StreamReader(entry.DataStream);
                        etcd = reader.ReadToEnd();
                    }
                }
            }

            return new ArchivedManifests(paths, etcd);
        }

        /// <summary>The pod whose manifest <paramref name="name"/> is (<c>static-pod-resources/&lt;pod&gt;-pod-&lt;revision&gt;/&lt;pod&gt;-pod.yaml</c>), or null.</summary>
        private static string? PodOf(string name)
        {
            var parts = name.Split('/');
            if (parts.Length != 3 || parts[0] != "static-pod-resources")
            {
                return null;
            }

            foreach (var pod in RestoreRunner.StaticPods)
            {
                if (parts[1].StartsWith(pod + "-pod-", StringComparison.Ordinal)
                    && int.TryParse(parts[1][(pod.Length + 5)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && parts[2] == $"{pod}-pod.yaml")
                {
                    return pod;
                }
            }

            return null;
        }
    }
}
