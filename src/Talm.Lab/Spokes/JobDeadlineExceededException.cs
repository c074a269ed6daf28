namespace Talm.Lab.Spokes;

/// <summary>A Job's pod was killed because the Job ran past its activeDeadlineSeconds (the pod sandbox enforces it).</summary>
public sealed class JobDeadlineExceededException : Exception
{
    public JobDeadlineExceededException()
    {
    }

    public JobDeadlineExceededException(string message)
        : base(message)
    {
    }

    public JobDeadlineExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
