using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Talm.Recovery.Platform;

namespace Talm.Sandbox;

/// <summary>
/// The etcd certificates of a node, laid out as OpenShift's etcd operator puts them under
/// <c>/etc/kubernetes/static-pod-resources/etcd-certs</c>: a signer's CA in the <c>etcd-serving-ca</c>
/// and <c>etcd-peer-client-ca</c> bundles, and in <c>etcd-all-certs</c> the node's serving certificate
/// (<c>etcd-serving-&lt;node&gt;</c>) and peer certificate (<c>etcd-peer-&lt;node&gt;</c>, also the client
/// certificate of <c>etcdctl</c> and of the backup), both naming the node's IP. Keys are ECDSA P-256
/// (OpenShift's are RSA 2048, which takes this machine about a second per key to make; TLS treats both alike).
/// </summary>
public static class EtcdCertificates
{
    public const string CertDir = "/etc/kubernetes/static-pod-resources/etcd-certs";

    public static string ServingCa => CertDir + "/configmaps/etcd-serving-ca/ca-bundle.crt";

    public static string PeerClientCa => CertDir + "/configmaps/etcd-peer-client-ca/ca-bundle.crt";

    public static string Serving(string node, string ext) => $"{CertDir}/secrets/etcd-all-certs/etcd-serving-{node}.{ext}";

    public static string Peer(string node, string ext) => $"{CertDir}/secrets/etcd-all-certs/etcd-peer-{node}.{ext}";

    /// <summary>Writes a fresh CA and the node's certificates under <paramref name="hostRoot"/>.</summary>
    public static void Write(string hostRoot, string node, IPAddress nodeIp)
    {
        ArgumentNullException.ThrowIfNull(node);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=etcd-signer, OU=openshift", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now, now.AddYears(3));
        WriteFile(hostRoot, ServingCa, ca.ExportCertificatePem(), FileModes.Readable);
        WriteFile(hostRoot, PeerClientCa, ca.ExportCertificatePem(), FileModes.Readable);

        Issue(hostRoot, ca, caKey, $"CN=system:etcd-server:{node}, O=system:etcd-servers", node, nodeIp, Serving(node, "crt"), Serving(node, "key"), now);
        Issue(hostRoot, ca, caKey, $"CN=system:etcd-peer:{node}, O=system:etcd-peers", node, nodeIp, Peer(node, "crt"), Peer(node, "key"), now);
    }

    private static void Issue(string hostRoot, X509Certificate2 ca, ECDsa caKey, string subject, string node, IPAddress nodeIp, string certPath, string keyPath, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(node);
        names.AddDnsName("localhost");
        names.AddIpAddress(nodeIp);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([Oid.FromOidValue("1.3.6.1.5.5.7.3.1", OidGroup.EnhancedKeyUsage), Oid.FromOidValue("1.3.6.1.5.5.7.3.2", OidGroup.EnhancedKeyUsage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now, now.AddYears(1), serial);
        WriteFile(hostRoot, certPath, issued.ExportCertificatePem(), FileModes.Readable);
        WriteFile(hostRoot, keyPath, key.ExportECPrivateKeyPem(), FileModes.OwnerReadWrite);
    }

    private static void WriteFile(string hostRoot, string hostPath, string pem, int mode)
    {
        var path = Path.Join(hostRoot, hostPath.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, pem.ReplaceLineEndings("\n") + "\n");
        Talm.Recovery.Platform.Posix.Chmod(path, mode);
    }
}
