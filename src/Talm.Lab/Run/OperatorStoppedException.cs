namespace Talm.Lab.Run;

/// <summary>The hub operator stopped while the lab was following the CGU; the message says why (exit code, log tail).</summary>
public sealed class OperatorStoppedException : Exception
{
    public OperatorStoppedException()
    {
    }

    public OperatorStoppedException(string message)
        : base(message)
    {
    }

    public OperatorStoppedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
