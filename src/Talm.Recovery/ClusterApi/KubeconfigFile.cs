using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Talm.Recovery.ClusterApi;

/// <summary>
/// What a kubeconfig says about reaching the API server of its current context: the server, how to trust it
/// (certificate-authority[-data], tls-server-name, insecure-skip-tls-verify) and who we are (a token, or a
/// client certificate and key). That covers the kubeconfigs an OpenShift node keeps for itself, such as
/// <c>localhost-recovery.kubeconfig</c> (client certificate, tls-server-name <c>localhost-recovery</c>);
/// exec plugins and auth providers are not supported (the agent runs trimmed and alone on the node).
/// </summary>
public sealed class KubeconfigFile : IDisposable
{
    private KubeconfigFile(Uri server)
    {
        Server = server;
    }

    public Uri Server { get; }

    /// <summary>The name the server's certificate must carry and the client asks for (SNI), when it is not the URL's host.</summary>
    public string? TlsServerName { get; private init; }

    public bool InsecureSkipTlsVerify { get; private init; }

    /// <summary>The certificate authorities to trust for the server; empty means the system's.</summary>
    public X509Certificate2Collection Authorities { get; } = [];

    public string? Token { get; private init; }

    public X509Certificate2? ClientCertificate { get; private init; }

    /// <exception cref="InvalidDataException">The file is not a usable kubeconfig (the message says what is missing).</exception>
    public static KubeconfigFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read the kubeconfig {path}: {e.Message}", e);
        }

        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode map
                ? map
                : throw new InvalidDataException($"the kubeconfig {path} is empty");
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"the kubeconfig {path} is not YAML: {e.Message}", e);
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var contextName = Scalar(root, "current-context");
        var contexts = Named(root, "contexts");
        var context = contextName is { Length: > 0 }
            ? contexts.GetValueOrDefault(contextName) ?? throw new InvalidDataException($"the kubeconfig {path} has no context '{contextName}' (its current-context)")
            : contexts.Count == 1 ? contexts.Values.Single() : throw new InvalidDataException($"the kubeconfig {path} has no current-context");
        var context2 = Child(context, "context");
        var clusterName = Scalar(context2, "cluster") ?? throw new InvalidDataException($"the kubeconfig {path}: its context names no cluster");
        var cluster = Child(Named(root, "clusters").GetValueOrDefault(clusterName), "cluster")
            ?? throw new InvalidDataException($"the kubeconfig {path} has no cluster '{clusterName}'");
        var userName = Scalar(context2, "user");
        var user = userName is null ? null : Child(Named(root, "users").GetValueOrDefault(userName), "user");
        if (user is not null && (Child(user, "exec") is not null || Child(user, "auth-provider") is not null))
        {
            throw new InvalidDataException($"the kubeconfig {path}: user '{userName}' authenticates with an exec plugin or auth provider, which talm does not run; use a kubeconfig with a token or a client certificate");
        }

        var server = Scalar(cluster, "server");
        if (server is null || !Uri.TryCreate(server, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("https" or "http"))
        {
            throw new InvalidDataException($"the kubeconfig {path}: cluster '{clusterName}' has no http(s) server URL");
        }

        var config = new KubeconfigFile(serverUri)
        {
            TlsServerName = Scalar(cluster, "tls-server-name"),
            InsecureSkipTlsVerify = Scalar(cluster, "insecure-skip-tls-verify") == "true",
            Token = Scalar(user, "token") ?? (Scalar(user, "tokenFile") is { } tokenFile ? File.ReadAllText(Resolve(dir, tokenFile)).Trim() : null),
            ClientCertificate = ClientCertificateOf(user, dir, path),
        };
        if (Pem(cluster, "certificate-authority", dir) is { } authorities)
        {
            config.Authorities.ImportFromPem(authorities);
        }

        return config;
    }

    /// <summary>The client certificate with its key, from <c>client-certificate[-data]</c> and <c>client-key[-data]</c>.</summary>
    private static X509Certificate2? ClientCertificateOf(YamlMappingNode? user, string dir, string path)
    {
        var certificate = Pem(user, "client-certificate", dir);
        var key = Pem(user, "client-key", dir);
        if (certificate is null && key is null)
        {
            return null;
        }

        if (certificate is null || key is null)
        {
            throw new InvalidDataException($"the kubeconfig {path}: a client certificate needs both client-certificate and client-key");
        }

        try
        {
            return X509Certificate2.CreateFromPem(certificate, key);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidDataException($"the kubeconfig {path}: its client certificate or key cannot be read ({e.Message})", e);
        }
    }

    /// <summary>A PEM value given inline (<c>NAME-data</c>, base64) or as a file (<c>NAME</c>, relative to the kubeconfig).</summary>
    private static string? Pem(YamlMappingNode? map, string name, string dir)
    {
        if (Scalar(map, name + "-data") is { } data)
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(data));
        }

        return Scalar(map, name) is { } file ? File.ReadAllText(Resolve(dir, file)) : null;
    }

    private static string Resolve(string dir, string file) => Path.IsPathRooted(file) ? file : Path.Combine(dir, file);

    private static Dictionary<string, YamlMappingNode> Named(YamlMappingNode root, string list)
    {
        var result = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        if (Node(root, list) is YamlSequenceNode items)
        {
            foreach (var item in items.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(item, "name") is { } name)
                {
                    result[name] = item;
                }
            }
        }

        return result;
    }

    private static YamlNode? Node(YamlNode? map, string key) =>
        map is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static YamlMappingNode? Child(YamlNode? map, string key) => Node(map, key) as YamlMappingNode;

    private static string? Scalar(YamlNode? map, string key) => Node(map, key) is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

    public void Dispose()
    {
        ClientCertificate?.Dispose();
        foreach (var authority in Authorities)
        {
            authority.Dispose();
        }
    }
}
