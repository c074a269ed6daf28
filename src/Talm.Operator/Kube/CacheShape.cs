namespace Talm.Operator.Kube;

/// <summary>What a cache keeps of an object; <c>metadata.managedFields</c> is never kept.</summary>
public enum CacheShape
{
    /// <summary>The whole object.</summary>
    Full,

    /// <summary>
    /// apiVersion, kind and metadata: the operator needs to know that the object exists, not what it
    /// holds (a backup Job's action carries the whole Job, ten thousand times over).
    /// </summary>
    MetadataOnly,

    /// <summary>
    /// Objects replicated by RHACM (labelled with their root policy) keep metadata,
    /// <c>spec.remediationAction</c> and <c>status.compliant</c>, all the engine reads of a cluster's
    /// copy of a policy; its templates are the root's, kept once. Other objects are kept whole.
    /// </summary>
    ReplicaSummary,
}
