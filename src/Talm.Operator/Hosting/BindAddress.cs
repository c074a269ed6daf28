using System.Net;

namespace Talm.Operator.Hosting;

/// <summary>
/// A listen address as controller-runtime spells it: ":8080" (all interfaces), "127.0.0.1:8080",
/// "[::1]:8080"; "0" or empty disables the endpoint.
/// </summary>
public static class BindAddress
{
    public static bool IsDisabled(string? bind) => string.IsNullOrWhiteSpace(bind) || bind.Trim() == "0";

    public static IPEndPoint Parse(string bind)
    {
        var text = bind.Trim();
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new FormatException($"bind address '{bind}' is not HOST:PORT or :PORT (for example :8080 or 127.0.0.1:8081)");
        var host = text[..colon].Trim('[', ']');
        var address = host.Length == 0 ? IPAddress.Any
            : IPAddress.TryParse(host, out var ip) ? ip
            : host == "localhost" ? IPAddress.Loopback
            : throw new FormatException($"bind address '{bind}': host must be an IP address");
        return new IPEndPoint(address, port);
    }
}
