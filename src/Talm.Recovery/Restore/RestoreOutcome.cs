namespace Talm.Recovery.Restore;

public enum RestoreOutcome
{
    /// <summary>Stage restore_files done: the node must reboot before <c>--resume</c>.</summary>
    RebootRequired,

    /// <summary>--step: one stage done, run again to continue.</summary>
    SteppedStage,

    /// <summary>Everything restored and redeployed; the progress file is gone.</summary>
    Complete,
}

/// <summary>How a restore ended badly; each class has its own exit code.</summary>
public enum RestoreFailure
{
    /// <summary>The command line or what it names is wrong (e.g. the host root); nothing was done.</summary>
    BadInput,

    /// <summary>A check before the next stage failed (kubeconfig, backup content or integrity, host, OS, progress); this run changed nothing.</summary>
    Refused,

    /// <summary>A stage failed part way: the node is partly restored; fix the cause, then <c>--resume</c> repeats the stage.</summary>
    StageFailed,
}

/// <summary>The restore refused or failed; <see cref="Exception.Message"/> is what the engineer reads (cause and next step).</summary>
public sealed class RestoreFailedException(string message, Exception? inner = null, RestoreFailure kind = RestoreFailure.Refused) : Exception(message, inner)
{
    public RestoreFailure Kind { get; } = kind;
}
