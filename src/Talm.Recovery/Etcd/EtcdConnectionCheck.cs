using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Talm.Recovery.Etcd;

/// <summary>
/// Whether an <see cref="EtcdConnection"/> can work at all, checked before anything is done with it:
/// an http(s) URL, and TLS files that exist, hold what they should, and belong together.
/// </summary>
public static class EtcdConnectionCheck
{
    /// <returns>Why the connection cannot work, in one line; null when it can.</returns>
    public static string? Problem(EtcdConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var endpoint = connection.Endpoint;
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https") || string.IsNullOrEmpty(endpoint.Host))
        {
            return $"etcd endpoint '{endpoint.OriginalString}' is not an http:// or https:// URL of etcd's client port (e.g. https://localhost:2379)";
        }

        if (connection.CallTimeout <= TimeSpan.Zero)
        {
            return $"etcd call timeout {connection.CallTimeout} is not positive";
        }

        if ((connection.CertFile is null) != (connection.KeyFile is null))
        {
            return "an etcd client certificate needs its key and a key its certificate: give both --etcd-cert and --etcd-key, or neither";
        }

        if (connection.CaCertFile is { } ca)
        {
            try
            {
                var roots = new X509Certificate2Collection();
                roots.ImportFromPemFile(ca);
                if (roots.Count == 0)
                {
                    return $"etcd CA bundle {ca} holds no PEM certificate";
                }
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return $"etcd CA bundle {ca} cannot be read as PEM certificates: {OneLine(e.Message)}";
            }
        }

        if (connection.CertFile is { } cert && connection.KeyFile is { } key)
        {
            try
            {
                using var pair = X509Certificate2.CreateFromPemFile(cert, key);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                return $"etcd client certificate {cert} and key {key} cannot be used, or do not belong together: {OneLine(e.Message)}";
            }
        }

        return null;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
