namespace Talm.Sandbox;

/// <summary>
/// A PATH like a node's: every program of this machine's system directories except etcd's own tools
/// (<c>etcd</c>, <c>etcdctl</c>, <c>etcdutl</c>), which an OpenShift node does not have on PATH (OpenShift keeps
/// them in <c>/etc/kubernetes/static-pod-resources/bin</c>). Made of symlinks in one directory.
/// </summary>
public static class NodeSearchPath
{
    private static readonly string[] SystemDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    private static readonly string[] Absent = ["etcd", "etcdctl", "etcdutl"];

    /// <summary>Fills <paramref name="dir"/> (created if needed) and returns it, to be put on PATH after any stand-ins.</summary>
    public static string Create(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var system in SystemDirs.Where(Directory.Exists))
        {
            foreach (var program in Directory.EnumerateFileSystemEntries(system))
            {
                var name = Path.GetFileName(program);
                var link = Path.Combine(dir, name);
                if (Absent.Contains(name, StringComparer.Ordinal) || Talm.Recovery.Platform.Posix.TryLStat(link) is not null)
                {
                    continue;
                }

                try
                {
                    File.CreateSymbolicLink(link, program);
                }
                catch (IOException) when (Talm.Recovery.Platform.Posix.TryLStat(link) is not null)
                {
                    // Another process made the same link at the same time.
                }
            }
        }

        return dir;
    }
}
