using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Talm.Engine.Model;

namespace Talm.Operator.Events;

/// <summary>The object an Event is about.</summary>
public sealed record EventSubject(string ApiVersion, string Kind, string Namespace, string Name, string? Uid, string? ResourceVersion);

/// <summary>
/// Writes events.k8s.io/v1 Events as the reference does (generated names, reporting controller
/// "ClusterGroupUpgrade", action, note, cgu.openshift.io annotations, a related ManagedCluster), which
/// `kubectl get events` and `oc describe` show as core Events too. The reference sends some events on
/// every reconcile of a phase; one identical to an event sent within the last ten minutes is not sent
/// again. Best effort: an Event that cannot be written is logged, never allowed to fail a reconcile.
/// </summary>
public sealed class EventRecorder(IKubernetes client, string controller, string instance, TimeProvider time, ILogger log)
{
    public static readonly TimeSpan Repeat = TimeSpan.FromMinutes(10);
    private const int MaxNoteBytes = 1024;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);

    public async Task RecordAsync(EventSubject subject, EngineEvent evt, CancellationToken cancel)
    {
        var now = time.GetUtcNow();
        var key = $"{subject.Namespace}/{subject.Name}/{subject.Uid}\n{evt.Type}\n{evt.Reason}\n{evt.Action}\n{evt.Note}\n" +
                  string.Join('\n', evt.Annotations.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        if (_recent.TryGetValue(key, out var sent) && now - sent < Repeat)
            return;
        _recent[key] = now;
        if (_recent.Count > 10_000)
        {
            foreach (var (k, at) in _recent)
            {
                if (now - at >= Repeat) _recent.TryRemove(k, out _);
            }
        }
        var note = evt.Note.Length > MaxNoteBytes ? evt.Note[..MaxNoteBytes] : evt.Note;
        var body = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = subject.Name + "-",
                NamespaceProperty = subject.Namespace,
                Annotations = evt.Annotations.Count == 0 ? null : new Dictionary<string, string>(evt.Annotations),
            },
            EventTime = now.UtcDateTime,
            ReportingController = controller,
            ReportingInstance = instance,
            Action = evt.Action,
            Reason = evt.Reason,
            Note = note,
            Type = evt.Type,
            Regarding = new V1ObjectReference
            {
                ApiVersion = subject.ApiVersion,
                Kind = subject.Kind,
                Name = subject.Name,
                NamespaceProperty = subject.Namespace,
                Uid = subject.Uid,
                ResourceVersion = subject.ResourceVersion,
            },
            Related = evt.RelatedCluster is { } cluster
                ? new V1ObjectReference { ApiVersion = "cluster.open-cluster-management.io/v1", Kind = "ManagedCluster", Name = cluster }
                : null,
        };
        try
        {
            await client.EventsV1.CreateNamespacedEventAsync(body, subject.Namespace, cancellationToken: cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _recent.TryRemove(key, out _);
            log.LogWarning("Could not record event {Reason} on {Namespace}/{Name}: {Error}", evt.Reason, subject.Namespace,
                subject.Name, Kube.Informer.Describe(e));
        }
    }
}
