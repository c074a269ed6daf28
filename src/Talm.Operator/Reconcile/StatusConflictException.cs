namespace Talm.Operator.Reconcile;

/// <summary>The CGU changed between reading and writing its status; the reconcile is retried on fresh data.</summary>
public sealed class StatusConflictException(string cgu)
    : Exception($"ClusterGroupUpgrade {cgu} changed while its status was being written (409 Conflict); retrying with the new version");
