using System.Net;
using System.Net.Sockets;

namespace Talm.Recovery.Platform;

/// <summary>Loopback TCP ports for servers started here (a temporary etcd, a sandbox's, a test's).</summary>
public static class LoopbackPort
{
    /// <summary>A port nobody listens on right now (another process may take it before it is used: callers retry).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
