namespace Talm.Recovery.Platform;

/// <summary>Whether this process runs in the node's network namespace (a host-network pod, or on the node itself).</summary>
public static class NetworkNamespaces
{
    /// <summary>
    /// Compares this process's network namespace with that of the node's first process, seen through the
    /// node's procfs (<c>/host/proc</c> in the backup Job). Null when that cannot be read: not known.
    /// </summary>
    public static bool? SharesNetworkWithNode(string nodeProc)
    {
        var own = LinkOf("/proc/self/ns/net");
        var node = LinkOf(Path.Combine(nodeProc, "1", "ns", "net"));
        return own is null || node is null ? null : own == node;
    }

    // readlink(2) itself: the ns files are "magic" links (net:[4026531840]) that .NET's link APIs do not report.
    private static unsafe string? LinkOf(string path)
    {
        var buffer = stackalloc byte[256];
        var length = LibC.Readlink(path, buffer, 256);
        return length <= 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, (int)length);
    }
}
