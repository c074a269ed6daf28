using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Talm.Conformance.UpdateGraph;

/// <summary>
/// A certificate authority made for one conformance run and gone with it: it signs the stand-in's certificate
/// for the update graph's host, and the operator trusts it next to the system's roots (SSL_CERT_FILE), so the
/// operator checks the graph's certificate as it would against the real host.
/// </summary>
public sealed class RunCertificateAuthority : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(2);
    private static readonly TimeSpan Skew = TimeSpan.FromHours(1);

    private readonly ECDsa _key;
    private readonly DateTimeOffset _notAfter;

    private RunCertificateAuthority(X509Certificate2 certificate, ECDsa key, DateTimeOffset notAfter)
    {
        Certificate = certificate;
        _key = key;
        _notAfter = notAfter;
    }

    /// <summary>The CA's certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    public static RunCertificateAuthority Create(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=talm conformance run CA, O=talm", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var notAfter = now + Lifetime;
        using var withKey = request.CreateSelfSigned(now - Skew, notAfter);
        return new RunCertificateAuthority(X509CertificateLoader.LoadCertificate(withKey.RawData), key, notAfter);
    }

    /// <summary>A server certificate (with its private key) for <paramref name="host"/>, signed by this CA.</summary>
    public X509Certificate2 IssueServerCertificate(string host, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var now = time.GetUtcNow();
        using var issuerWithKey = Certificate.CopyWithPrivateKey(_key);
        using var issued = request.Create(issuerWithKey, now - Skew, _notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so that the key is a stored one, as TLS server certificates need on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// Writes the system's trusted roots (<paramref name="systemBundle"/>, when there is one) followed by this CA
    /// to <paramref name="file"/>, as PEM: what the operator gets as SSL_CERT_FILE.
    /// </summary>
    public void WriteTrustBundle(string file, string? systemBundle)
    {
        using var writer = new StreamWriter(file);
        if (systemBundle is not null)
        {
            var roots = File.ReadAllText(systemBundle);
            writer.Write(roots);
            if (!roots.EndsWith('\n')) writer.WriteLine();
        }
        writer.WriteLine("# talm conformance run CA (signs the update-graph stand-in's certificate)");
        writer.Write(Certificate.ExportCertificatePem());
        writer.WriteLine();
    }

    /// <summary>The system's PEM bundle of trusted roots: SSL_CERT_FILE when set, else where the usual distributions keep it.</summary>
    public static string? FindSystemBundle()
    {
        if (Environment.GetEnvironmentVariable("SSL_CERT_FILE") is { Length: > 0 } set && File.Exists(set)) return set;
        string[] known =
        [
            "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch
            "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
            "/etc/ssl/ca-bundle.pem", // openSUSE
            "/etc/ssl/cert.pem", // Alpine, macOS
        ];
        return known.FirstOrDefault(File.Exists);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
