using Talm.Lab.Hub;

namespace Talm.Lab.Run;

/// <summary>The hub operator the lab started; disposing stops it.</summary>
public interface IRunningOperator : IAsyncDisposable
{
    OperatorMode Mode { get; }

    /// <summary>The operator's process when it runs in its own (for its CPU time and memory); null in-process.</summary>
    int? ProcessId { get; }

    /// <summary>Where its log goes (process mode); null in-process.</summary>
    string? LogPath { get; }

    /// <summary>In-process only: the requests its client sent, counted on the client's side.</summary>
    RequestCounter? ClientCounter { get; }

    /// <summary>Completes if the operator stops before it is disposed; the text says why (exit code, last log lines).</summary>
    Task<string> Stopped { get; }
}
