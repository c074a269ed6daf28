using k8s;
using Microsoft.Extensions.Logging;
using Talm.KubeApi;
using Talm.Lab.Hub;
using Talm.Operator;

namespace Talm.Lab.Run;

/// <summary>The real parts: the embedded API server (in memory) and the hub operator, both in this process.</summary>
public sealed class EmbeddedBackend(IReadOnlyList<string> crdFiles, ILoggerFactory logs) : ILabBackend
{
    /// <summary>The images the operator puts in the spoke Jobs (the lab's spokes do not pull them).</summary>
    public const string RecoveryImage = "quay.io/talm/recovery:lab";
    public const string PrecacheImage = "quay.io/talm/precache:lab";

    public async Task<IRunningHub> StartHubAsync(string dataDir, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            KubeconfigPath = Path.Combine(dataDir, "kubeconfig"),
            ManifestFiles = crdFiles,
            LoggerFactory = logs,
        }, ct);
        return new RunningHub(server);
    }

    public Task<IAsyncDisposable> StartOperatorAsync(string kubeconfigPath, RequestCounter counter, CancellationToken ct)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        var client = new Kubernetes(config, counter);
        var host = new OperatorHost(client, new OperatorOptions
        {
            RecoveryImage = RecoveryImage,
            PrecacheImage = PrecacheImage,
            HealthBind = null,
            MetricsBind = null,
            Instance = "talm-lab",
        }, TimeProvider.System, logs);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(stop.Token), CancellationToken.None);
        return Task.FromResult<IAsyncDisposable>(new RunningOperator(host, client, stop, run));
    }

    private sealed class RunningHub(KubeApiServer server) : IRunningHub
    {
        public string KubeconfigPath => server.KubeconfigPath;

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private sealed class RunningOperator(OperatorHost host, Kubernetes client, CancellationTokenSource stop, Task run) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            try { await run; }
            catch (OperationCanceledException) { }
            host.Dispose();
            client.Dispose();
            stop.Dispose();
        }
    }
}
