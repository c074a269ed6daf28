using Talm.Engine.Model;
using Talm.Engine.Reconcile;

namespace Talm.Engine;

/// <summary>
/// Decides, for one ClusterGroupUpgrade and a snapshot of the hub, what one reconcile of the reference
/// operator would do: the status it writes, the hub changes it makes, the events it sends and when it
/// looks again. Pure: no I/O, the time is passed in, and the only randomness (generated name suffixes)
/// comes from the injected source.
/// </summary>
public sealed class CguEngine(INameSuffixSource suffixes)
{
    public CguEngine()
        : this(new RandomNameSuffix(Random.Shared))
    {
    }

    /// <summary>
    /// The CGU annotations a decision reads; a change to any other annotation (or to labels) cannot
    /// change it, so a status decided before such a change may still be written.
    /// </summary>
    public static IReadOnlyList<string> AnnotationsRead { get; } =
        [HubNames.NameSuffixAnnotation, HubNames.BlockingCompletionModeAnnotation, HubNames.BlockingClusterFilteringAnnotation];

    public Decision Decide(HubSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var ctx = new ReconcileContext(snapshot, now, suffixes);
        Reconciler.Run(ctx);
        return ctx.Finish();
    }
}
