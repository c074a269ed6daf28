using k8s;
using Microsoft.Extensions.Logging;
using Talm.KubeApi;
using Talm.KubeApi.Metrics;
using Talm.Lab.Hub;
using Talm.Operator;
using Talm.Operator.Kube;

namespace Talm.Lab.Run;

/// <summary>
/// The real parts: the embedded API server (in memory, in this process) and the hub operator, in
/// this process or, given <paramref name="operatorProcess"/>, as <c>talm operator</c> in a child process.
/// </summary>
public sealed class EmbeddedBackend(IReadOnlyList<string> crdFiles, ILoggerFactory logs, OperatorProcessSettings? operatorProcess = null) : ILabBackend
{
    /// <summary>The images the operator puts in the spoke Jobs (the lab's spokes do not pull them).</summary>
    public const string RecoveryImage = "quay.io/talm/recovery:lab";
    public const string PrecacheImage = "quay.io/talm/precache:lab";

    /// <summary>The operator's name in Events, the same in both modes.</summary>
    public const string Instance = "talm-lab";

    public OperatorMode OperatorMode => operatorProcess is null ? OperatorMode.Inproc : OperatorMode.Process;

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

    public Task<IRunningOperator> StartOperatorAsync(string kubeconfigPath, string workDir, CancellationToken ct)
    {
        if (operatorProcess is not null)
        {
            // The CLI reads these from its environment, as in the operator's Deployment.
            var environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["RECOVERY_IMG"] = RecoveryImage,
                ["PRECACHE_IMG"] = PrecacheImage,
                ["POD_NAME"] = Instance,
            };
            return Task.FromResult<IRunningOperator>(OperatorProcess.Start(operatorProcess, kubeconfigPath, workDir, environment));
        }

        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        var counter = new RequestCounter();
        var client = new Kubernetes(config, counter, new OperatorUserAgent());
        var host = new OperatorHost(client, new OperatorOptions
        {
            RecoveryImage = RecoveryImage,
            PrecacheImage = PrecacheImage,
            HealthBind = null,
            MetricsBind = null,
            Instance = Instance,
        }, TimeProvider.System, logs);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(stop.Token), CancellationToken.None);
        return Task.FromResult<IRunningOperator>(new RunningOperator(host, client, counter, stop, run));
    }

    private sealed class RunningHub(KubeApiServer server) : IRunningHub
    {
        public string KubeconfigPath => server.KubeconfigPath;

        public RequestMetrics Requests => server.Requests;

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private sealed class RunningOperator(OperatorHost host, Kubernetes client, RequestCounter counter, CancellationTokenSource stop, Task run) : IRunningOperator
    {
        public OperatorMode Mode => OperatorMode.Inproc;
        public int? ProcessId => null;
        public string? LogPath => null;
        public RequestCounter? ClientCounter => counter;

        public Task<string> Stopped { get; } = run.ContinueWith(
            t => t.Exception is { } e ? $"The in-process operator stopped: {e.GetBaseException().Message}" : "The in-process operator stopped.",
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

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
