using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Talm.Recovery.ClusterApi;
using Talm.Recovery.Unattended;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// The result reaches a TLS API server the way an OpenShift node's <c>localhost-recovery.kubeconfig</c> says to: the CA
/// from certificate-authority-data, the name from tls-server-name (asked for by SNI, as kube-apiserver picks its serving
/// certificate by it, and checked), and the node's client certificate. The embedded API server speaks plain HTTP, so a
/// loopback Kestrel server with the same certificate arrangement stands in for kube-apiserver's TLS front.
/// </summary>
public sealed class ClusterApiTlsTests
{
    [Fact]
    public async Task The_node_kubeconfig_names_the_server_trusts_its_CA_and_presents_the_client_certificate()
    {
        using var serverCa = Authority("CN=kube-apiserver-localhost-recovery-signer");
        using var clientCa = Authority("CN=admin-kubeconfig-signer");
        using var serverCert = Issue(serverCa, "CN=localhost-recovery", "localhost-recovery", server: true);
        using var clientCert = Issue(clientCa, "CN=system:admin, O=system:masters", null, server: false);
        string? sni = null;
        string? clientSubject = null;
        JsonNode? posted = null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, name) =>
            {
                sni = name;
                return serverCert;
            },
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (certificate, _, _) => certificate.Issuer == clientCa.Subject,
        })));
        await using var app = builder.Build();
        app.MapPost("/api/v1/namespaces/{ns}/configmaps", async (HttpContext context) =>
        {
            clientSubject = context.Connection.ClientCertificate?.Subject;
            posted = await JsonNode.ParseAsync(context.Request.Body);
            return Results.StatusCode(201);
        });
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

        using var dir = new TempDir();
        var kubeconfig = Path.Combine(dir.Path, "localhost-recovery.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, Kubeconfig($"https://127.0.0.1:{url.Port}", "localhost-recovery", serverCa, clientCert));
        using (var config = KubeconfigFile.Load(kubeconfig))
        using (var api = new ApiClient(config, TimeSpan.FromSeconds(10)))
        {
            await ResultConfigMap.WriteAsync(api, new UnattendedResult { State = UnattendedState.Succeeded, Stage = "redeploy", Generation = "g1" }, default);
        }

        Assert.Equal("localhost-recovery", sni);
        Assert.Contains("CN=system:admin", clientSubject, StringComparison.Ordinal);
        Assert.Equal("succeeded", posted?["data"]?["state"]?.GetValue<string>());
        Assert.Equal(ResultConfigMap.Namespace, posted?["metadata"]?["namespace"]?.GetValue<string>());

        // Without tls-server-name the certificate (for localhost-recovery only) does not name 127.0.0.1: refused, not trusted blindly.
        await File.WriteAllTextAsync(kubeconfig, Kubeconfig($"https://127.0.0.1:{url.Port}", null, serverCa, clientCert));
        using (var config = KubeconfigFile.Load(kubeconfig))
        using (var api = new ApiClient(config, TimeSpan.FromSeconds(10)))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => ResultConfigMap.WriteAsync(api, new UnattendedResult { State = "failed", Stage = "started" }, default));
        }
    }

    private static string Kubeconfig(string server, string? tlsServerName, X509Certificate2 ca, X509Certificate2 client)
    {
        static string B64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));
        using var key = client.GetRSAPrivateKey()!;
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                certificate-authority-data: {B64(ca.ExportCertificatePem())}
                server: {server}
            {(tlsServerName is null ? "" : $"    tls-server-name: {tlsServerName}")}
              name: localhost-recovery
            contexts:
            - context:
                cluster: localhost-recovery
                user: system:admin
              name: system:admin
            current-context: system:admin
            users:
            - name: system:admin
              user:
                client-certificate-data: {B64(client.ExportCertificatePem())}
                client-key-data: {B64(key.ExportPkcs8PrivateKeyPem())}
            """;
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, string? dnsName, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (dnsName is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dnsName);
            request.CertificateExtensions.Add(names.Build());
        }

        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }
}
