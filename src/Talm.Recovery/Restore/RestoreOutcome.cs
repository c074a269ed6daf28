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

/// <summary>The restore refused or failed; <see cref="Exception.Message"/> is what the engineer reads (cause and next step).</summary>
public sealed class RestoreFailedException(string message, Exception? inner = null) : Exception(message, inner);
