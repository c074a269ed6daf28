using System.Collections.Concurrent;
using System.Text.Json;
using Talm.Operator.Kube;

namespace Talm.Operator.Reconcile;

/// <summary>
/// ManagedClusterViews this operator created for a CGU that RHACM has not answered yet (no status
/// conditions). The reference reads its views at its next timed reconcile, 30 seconds or more after
/// creating them, when RHACM has long answered; it treats a view without conditions as an error
/// (for an enabled CGU's pre-caching, as the end of that cluster). This operator reconciles as soon as
/// RHACM answers a view, which would read the CGU's other fresh views before their answers. So an
/// enabled CGU that is pre-caching waits for its unanswered views, never longer than the reference's
/// 30-second requeue (elsewhere an unanswered view only costs a turn, and the CGU is not held).
/// </summary>
public sealed class UnansweredViews(ObjectCache views, TimeProvider time)
{
    /// <summary>The reference's short requeue: after this long it reads a view whether answered or not.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<(string? Ns, string Name), (string? Uid, DateTimeOffset At)>> _byCgu =
        new(StringComparer.Ordinal);

    /// <summary>The operator created <paramref name="view"/> for the CGU <paramref name="cgu"/> (namespace/name).</summary>
    public void Created(string cgu, KubeObject view)
    {
        if (Answered(view)) return;
        var pending = _byCgu.GetOrAdd(cgu, _ => new());
        pending[(view.Namespace, view.Name)] = (Uid(view), time.GetUtcNow());
    }

    /// <summary>
    /// How long the CGU should wait before its next decision: null when each view it created is
    /// answered, gone, or older than <see cref="Patience"/>; otherwise until the earliest of them
    /// runs out of patience (an answer wakes the CGU before that).
    /// </summary>
    public TimeSpan? WaitFor(string cgu)
    {
        if (!_byCgu.TryGetValue(cgu, out var pending)) return null;
        var now = time.GetUtcNow();
        TimeSpan? wait = null;
        foreach (var (key, (uid, at)) in pending)
        {
            var view = views.Get(key.Ns, key.Name);
            var left = at + Patience - now;
            if (view is null || Uid(view) != uid || Answered(view) || left <= TimeSpan.Zero)
            {
                pending.TryRemove(key, out _);
                continue;
            }
            if (wait is null || left < wait) wait = left;
        }
        return wait;
    }

    /// <summary>The CGU is gone: nothing of it to wait for.</summary>
    public void Forget(string cgu) => _byCgu.TryRemove(cgu, out _);

    /// <summary>RHACM answered: the view has status conditions.</summary>
    public static bool Answered(KubeObject view) =>
        view.Json.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object &&
        status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array &&
        conditions.GetArrayLength() > 0;

    private static string? Uid(KubeObject o) =>
        o.Json.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("uid", out var uid) ? uid.GetString() : null;
}
