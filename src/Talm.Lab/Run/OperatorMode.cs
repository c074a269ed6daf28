namespace Talm.Lab.Run;

/// <summary>Where the lab runs the hub operator.</summary>
public enum OperatorMode
{
    /// <summary>In the lab's own process, next to the API server and the simulated RHACM (starts fastest).</summary>
    Inproc,

    /// <summary>As <c>talm operator --kubeconfig ...</c> in a child process, as on a real hub; its CPU and memory are its own.</summary>
    Process,
}
