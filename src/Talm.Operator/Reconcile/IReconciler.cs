namespace Talm.Operator.Reconcile;

/// <summary>Brings one object (by "namespace/name" key) towards what it should be. Idempotent.</summary>
public interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancel);
}
