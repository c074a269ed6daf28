using Talm.KubeApi.Metrics;

namespace Talm.Lab.Run;

/// <summary>A running embedded API server with every CRD the lab needs loaded.</summary>
public interface IRunningHub : IAsyncDisposable
{
    /// <summary>A kubeconfig file that reaches the server (for kubectl, the operator and the lab).</summary>
    string KubeconfigPath { get; }

    /// <summary>The server's request counters, by client (User-Agent), verb and resource.</summary>
    RequestMetrics Requests { get; }
}

/// <summary>
/// The parts the lab runs but does not own: the embedded API server and the real hub operator. The
/// CLI wires the real ones; keeping them behind this seam keeps Talm.Lab free of their start-up details.
/// </summary>
public interface ILabBackend
{
    Task<IRunningHub> StartHubAsync(string dataDir, CancellationToken ct);

    /// <summary>Starts the real operator against the hub; <paramref name="workDir"/> is the lab's directory (for its log).</summary>
    Task<IRunningOperator> StartOperatorAsync(string kubeconfigPath, string workDir, CancellationToken ct);
}
