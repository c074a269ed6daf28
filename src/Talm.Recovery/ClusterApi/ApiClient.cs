using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Talm.Recovery.ClusterApi;

/// <summary>
/// JSON requests to the API server a kubeconfig names, over one HttpClient: the little the node's agent asks of
/// it (no Kubernetes client library: the agent ships trimmed). The server is trusted as the kubeconfig says; with
/// a tls-server-name, that name is asked for (SNI) and checked, as kube-apiserver's per-name serving certificates need.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private readonly KubeconfigFile _config;
    private readonly HttpClient _http;

    public ApiClient(KubeconfigFile config, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        var ssl = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Trust };
        if (config.ClientCertificate is { } certificate)
        {
            ssl.ClientCertificates = [certificate];
        }

        _http = new HttpClient(new SocketsHttpHandler { SslOptions = ssl, ConnectTimeout = timeout }) { Timeout = timeout };
    }

    public Uri Server => _config.Server;

    /// <summary>Sends one request; any HTTP answer is returned, a transport failure throws <see cref="HttpRequestException"/> (or a timeout).</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_config.Server, path));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(method == HttpMethod.Patch ? "application/merge-patch+json" : "application/json");
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_config.TlsServerName is { } name && _config.Server.Scheme == "https")
        {
            // SocketsHttpHandler takes the TLS server name (SNI and the certificate check) from the Host header.
            request.Headers.Host = _config.Server.IsDefaultPort ? name : $"{name}:{_config.Server.Port}";
        }

        if (_config.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return new ApiResponse((int)response.StatusCode, body);
    }

    private bool Trust(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_config.InsecureSkipTlsVerify || errors == SslPolicyErrors.None)
        {
            return true;
        }

        // The name is checked in every case; only the chain may be judged again, against the kubeconfig's authorities.
        if (certificate is null || _config.Authorities.Count == 0 || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_config.Authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An API server's answer: the HTTP status and the body (a Status object when it refused).</summary>
public sealed record ApiResponse(int Status, string Body)
{
    public bool Succeeded => Status is >= 200 and < 300;

    /// <summary>The Status object's message, or the start of the body.</summary>
    public string Reason()
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(Body) is System.Text.Json.Nodes.JsonObject o && o["message"]?.GetValue<string>() is { Length: > 0 } message)
            {
                return $"{Status}: {message}";
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return $"{Status}: {(Body.Length > 200 ? Body[..200] + "..." : Body)}".TrimEnd(' ', ':');
    }
}
