using System.Text.Json.Nodes;
using Talm.Conformance.Kube;
using Talm.Conformance.Kuttl;
using Talm.Recovery.Processes;

namespace Talm.Conformance.Run;

/// <summary>What a hub is made of: our CLI, the CRDs to install, the operator's environment, kubectl.</summary>
public sealed record HubSettings
{
    /// <summary>How to start talm: a program and the arguments before the subcommand (dotnet and talm.dll).</summary>
    public required string TalmProgram { get; init; }

    public IReadOnlyList<string> TalmPrefix { get; init; } = [];

    public required string Kubectl { get; init; }

    /// <summary>YAML files whose CustomResourceDefinition documents are installed, in order (others are skipped).</summary>
    public required IReadOnlyList<string> CrdFiles { get; init; }

    /// <summary>The environment the reference's deployment gives its operator (PRECACHE_IMG, RECOVERY_IMG, ...).</summary>
    public required IReadOnlyDictionary<string, string> OperatorEnvironment { get; init; }

    /// <summary>
    /// What the hub's network gives the operator on top of the reference's environment: the update graph's proxy
    /// (HTTPS_PROXY, NO_PROXY) and the roots it trusts (SSL_CERT_FILE), see <see cref="UpdateGraph.UpdateGraphStandIn"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> NetworkEnvironment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>kubectl proxy's port: the reference's scripts patch status through http://localhost:8001.</summary>
    public int ProxyPort { get; init; } = 8001;
}

/// <summary>
/// A fresh hub as a new user would start one: <c>talm lab serve</c> (free port, in memory) with our CRDs and
/// the reference's RHACM CRDs installed through the API, <c>talm operator</c> as its own process against the
/// lab's kubeconfig, and <c>kubectl proxy --port 8001</c> for the scenarios' scripts. Every log goes into
/// the hub's folder.
/// </summary>
public sealed class Hub : IAsyncDisposable
{
    private readonly List<ServiceProcess> _children = [];

    private Hub(string dir) => Dir = dir;

    public string Dir { get; }

    public string KubeconfigPath => Path.Combine(Dir, "kubeconfig");

    public KubeClient Kube { get; private set; } = null!;

    private ServiceProcess? Server { get; set; }

    private ServiceProcess? Operator { get; set; }

    private ServiceProcess? Proxy { get; set; }

    /// <summary>A sentence when a part of the hub has stopped on its own.</summary>
    public string? Problem => Operator?.Problem ?? Server?.Problem ?? Proxy?.Problem;

    public static async Task<Hub> StartAsync(HubSettings settings, string dir, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(dir);
        var hub = new Hub(dir);
        try
        {
            await hub.StartPartsAsync(settings, ct);
            return hub;
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(HubSettings settings, CancellationToken ct)
    {
        Server = Add(ServiceProcess.Start("talm lab serve", settings.TalmProgram,
            [.. settings.TalmPrefix, "lab", "serve", "--listen", "127.0.0.1:0", "--kubeconfig", KubeconfigPath],
            null, Path.Combine(Dir, "server.log")));
        await Server.WaitForLineAsync(l => l.StartsWith("serving ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), ct);
        Kube = KubeClient.FromKubeconfig(KubeconfigPath);

        await InstallCrdsAsync(settings.CrdFiles, ct);

        var operatorEnv = new Dictionary<string, string>(settings.OperatorEnvironment, StringComparer.Ordinal);
        foreach (var (k, v) in settings.NetworkEnvironment) operatorEnv[k] = v;
        Operator = Add(ServiceProcess.Start("talm operator", settings.TalmProgram,
            [.. settings.TalmPrefix, "operator", "--kubeconfig", KubeconfigPath, "--metrics-bind", "0", "--health-bind", "0", "--log-format", "text"],
            operatorEnv, Path.Combine(Dir, "operator.log"), grace: TimeSpan.FromSeconds(10)));

        Proxy = Add(ServiceProcess.Start("kubectl proxy", settings.Kubectl,
            ["proxy", "--port", settings.ProxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new Dictionary<string, string>(StringComparer.Ordinal) { ["KUBECONFIG"] = KubeconfigPath },
            Path.Combine(Dir, "proxy.log")));
        try
        {
            await Proxy.WaitForLineAsync(l => l.StartsWith("Starting to serve on", StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(
                $"kubectl proxy could not serve port {settings.ProxyPort}, which the reference's scripts patch status through " +
                $"(is another kubectl proxy or conformance run using it?): {e.Message}", e);
        }
    }

    private ServiceProcess Add(ServiceProcess child)
    {
        _children.Add(child);
        return child;
    }

    /// <summary>kuttl's crdDir step: only the CRD documents, created, then waited for until discovery serves them.</summary>
    private async Task InstallCrdsAsync(IReadOnlyList<string> files, CancellationToken ct)
    {
        var crdResource = await Kube.ResolveAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", ct)
            ?? throw new InvalidOperationException("the lab server serves no CustomResourceDefinitions");
        var kinds = new List<(string ApiVersion, string Kind)>();
        foreach (var file in files)
        {
            foreach (var crd in KuttlYaml.ReadObjects(file).Where(o => KuttlJson.Kind(o) == "CustomResourceDefinition"))
            {
                var name = (string?)crd["metadata"]?["name"] ?? throw new InvalidDataException($"{file}: a CRD without a name");
                try
                {
                    if (await Kube.GetAsync(crdResource, null, name, ct) is null) await Kube.CreateAsync(crdResource, null, crd, ct);
                }
                catch (KubeApiException e)
                {
                    throw new InvalidOperationException($"the lab server refused the CRD {name} from {file}: {e.Message}", e);
                }
                var group = (string?)crd["spec"]?["group"];
                var kind = (string?)crd["spec"]?["names"]?["kind"];
                if (group is null || kind is null) continue;
                foreach (var version in (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if ((bool?)version["served"] ?? true)
                        kinds.Add(($"{group}/{(string?)version["name"]}", kind));
                }
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        foreach (var (apiVersion, kind) in kinds)
        {
            while (await Kube.ResolveAsync(apiVersion, kind, ct) is null)
            {
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"the lab server does not serve {kind} in {apiVersion} 10 s after its CRD was created");
                await Task.Delay(100, ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The operator first, so that it does not log a lost server while it stops.
        for (var i = _children.Count - 1; i >= 0; i--)
        {
            var child = _children[i];
            if (child == Server) continue;
            await child.DisposeAsync();
        }
        if (Server is not null) await Server.DisposeAsync();
        Kube?.Dispose();
    }
}
