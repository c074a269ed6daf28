namespace Talm.Operator.Reconcile;

/// <summary>What a reconcile asks of the queue: nothing more, or another look after a while. Errors are thrown.</summary>
public sealed record ReconcileResult(TimeSpan? RequeueAfter = null)
{
    public static ReconcileResult Done { get; } = new();

    public static ReconcileResult After(TimeSpan delay) => new(delay);
}
