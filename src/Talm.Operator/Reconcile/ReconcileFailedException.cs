namespace Talm.Operator.Reconcile;

/// <summary>The engine ended a reconcile with the reference's error: the CGU is retried with back-off.</summary>
public sealed class ReconcileFailedException(string key, string error) : Exception($"reconcile of {key} stopped: {error}")
{
    public string Error { get; } = error;
}
