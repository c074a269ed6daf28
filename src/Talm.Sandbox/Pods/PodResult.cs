namespace Talm.Sandbox.Pods;

/// <summary>How the pod's container ended, as its Job status and <c>oc logs</c> would tell.</summary>
/// <param name="Reason"><c>Completed</c>, <c>Error</c>, <c>DeadlineExceeded</c> (activeDeadlineSeconds passed: killed) or <c>FailedMount</c> (a hostPath failed its type check: never started).</param>
/// <param name="Log">What the container wrote (stdout and stderr; one stream through the terminal when <c>tty: true</c>).</param>
public sealed record PodResult(string PodName, int ExitCode, string Reason, string Log, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0 && Reason == "Completed";
}
