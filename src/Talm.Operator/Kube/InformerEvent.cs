using k8s;

namespace Talm.Operator.Kube;

/// <summary>A change seen by an informer: Added (Old null), Modified, or Deleted (New null).</summary>
public sealed record InformerEvent(WatchedKind Kind, WatchEventType Type, KubeObject? Old, KubeObject? New)
{
    public KubeObject Object => New ?? Old!;
}
