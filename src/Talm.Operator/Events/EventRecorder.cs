using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Talm.Operator.Events;

/// <summary>The object an Event is about.</summary>
public sealed record EventSubject(string ApiVersion, string Kind, string Namespace, string Name, string? Uid);

/// <summary>
/// Writes core/v1 Events (what `kubectl describe` and `kubectl get events` show). Best effort: an
/// Event that cannot be written is logged, never allowed to fail a reconcile.
/// </summary>
public sealed class EventRecorder(IKubernetes client, string component, string instance, TimeProvider time, ILogger log)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    // Events of one reconcile are written side by side, often within one clock tick (always, under a
    // test's fake clock): a random suffix alone let two of them take the same name, and the second was lost.
    private static int _sequence = Random.Shared.Next();

    public async Task RecordAsync(EventSubject subject, string type, string reason, string message, CancellationToken cancel)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var evt = new Corev1Event
        {
            Metadata = new V1ObjectMeta
            {
                // Same shape as client-go's recorder: <object>.<unique hex>.
                Name = $"{subject.Name}.{now.Ticks:x}{(uint)Interlocked.Increment(ref _sequence):x8}",
                NamespaceProperty = subject.Namespace,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = subject.ApiVersion,
                Kind = subject.Kind,
                Name = subject.Name,
                NamespaceProperty = subject.Namespace,
                Uid = subject.Uid,
            },
            Reason = reason,
            Message = message,
            Type = type,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            ReportingInstance = instance,
        };
        try
        {
            await client.CoreV1.CreateNamespacedEventAsync(evt, subject.Namespace, cancellationToken: cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Could not record event {Reason} on {Namespace}/{Name}: {Error}", reason, subject.Namespace,
                subject.Name, Kube.Informer.Describe(e));
        }
    }
}
