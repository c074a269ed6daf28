using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Hosting;

/// <summary>
/// The metrics endpoint's serving certificate: <c>tls.crt</c> and <c>tls.key</c> (PEM) from a
/// directory, as OpenShift's service CA writes them into the Secret named by the Service's
/// <c>service.beta.openshift.io/serving-cert-secret-name</c> annotation; read again when their
/// content changes (the service CA rotates them and the kubelet swaps the mounted files), looked at
/// no more often than <c>checkEvery</c>. Without a directory, a self-signed certificate made at
/// start, as controller-runtime does.
/// </summary>
public sealed class ServingCertificate
{
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";

    private readonly string? _directory;
    private readonly TimeProvider _time;
    private readonly TimeSpan _checkEvery;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private X509Certificate2 _current;
    private byte[] _loadedFrom = [];
    private long _checkedAt;

    private ServingCertificate(string? directory, X509Certificate2 first, byte[] loadedFrom, TimeProvider time, TimeSpan checkEvery, ILogger log)
    {
        _directory = directory;
        _current = first;
        _loadedFrom = loadedFrom;
        _time = time;
        _checkEvery = checkEvery;
        _log = log;
        _checkedAt = time.GetTimestamp();
    }

    /// <summary>Reads the pair now: a missing or unreadable pair is an error at start, not at the first scrape.</summary>
    public static ServingCertificate FromDirectory(string directory, TimeProvider time, ILogger log, TimeSpan? checkEvery = null)
    {
        var (cert, bytes) = Load(directory);
        return new ServingCertificate(directory, cert, bytes, time, checkEvery ?? TimeSpan.FromSeconds(10), log);
    }

    public static ServingCertificate SelfSigned(TimeProvider time, ILogger log)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=talm-operator-metrics", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        using var made = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        var cert = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
        return new ServingCertificate(null, cert, [], time, TimeSpan.MaxValue, log);
    }

    public bool FromFiles => _directory is not null;

    /// <summary>The certificate to present now (Kestrel asks at each handshake).</summary>
    public X509Certificate2 Current
    {
        get
        {
            if (_directory is null) return _current;
            lock (_gate)
            {
                if (_time.GetElapsedTime(_checkedAt) < _checkEvery) return _current;
                _checkedAt = _time.GetTimestamp();
                try
                {
                    var bytes = ReadPair(_directory);
                    if (!bytes.AsSpan().SequenceEqual(_loadedFrom))
                    {
                        var (cert, read) = Load(_directory);
                        _current = cert; // the old one may still be in use by a handshake: left to the GC
                        _loadedFrom = read;
                        _log.LogInformation("Reloaded the metrics serving certificate from {Directory} (expires {NotAfter:o})",
                            _directory, cert.NotAfter.ToUniversalTime());
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
                {
                    // Mid-rotation the pair can be briefly inconsistent: keep serving the one that worked.
                    _log.LogWarning("Could not reload the metrics serving certificate from {Directory}: {Error}; keeping the current one",
                        _directory, e.Message);
                }
                return _current;
            }
        }
    }

    private static byte[] ReadPair(string directory) =>
        [.. File.ReadAllBytes(Path.Combine(directory, CertificateFile)), 0, .. File.ReadAllBytes(Path.Combine(directory, KeyFile))];

    private static (X509Certificate2, byte[]) Load(string directory)
    {
        var bytes = ReadPair(directory);
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(directory, CertificateFile), Path.Combine(directory, KeyFile));
        return (X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null), bytes);
    }
}
