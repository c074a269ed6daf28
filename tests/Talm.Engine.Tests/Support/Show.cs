using System.Text.Json;
using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Engine.Model;

namespace Talm.Engine.Tests.Support;

/// <summary>Decisions and statuses as short lines, so that a test states the whole expected sequence.</summary>
public static class Show
{
    /// <summary>"Type Status Reason: Message", in the status's order.</summary>
    public static List<string> Conditions(ClusterGroupUpgradeStatus? status) =>
        [.. (status?.Conditions ?? []).Select(c => $"{c.Type} {c.Status} {c.Reason}: {c.Message}")];

    public static List<string> Conditions(FakeHub hub) => Conditions(hub.Status);

    /// <summary>The last condition, as `kubectl get cgu` shows it.</summary>
    public static string Last(FakeHub hub) => Conditions(hub).LastOrDefault() ?? "";

    public static string Condition(FakeHub hub, string type) =>
        hub.Condition(type) is { } c ? $"{c.Status} {c.Reason}: {c.Message}" : "(none)";

    /// <summary>"create Kind ns/name", "update …", "delete …", "deleteall Kind ns", "cluster c +k=v -k", "finalizer +/-".</summary>
    public static List<string> Ops(Decision d, string? ns = null) =>
        [.. d.Intents.Select(Op).Where(o => o.Ns is null || ns is null || o.Ns == ns).Select(o => o.Text)];

    public static List<string> Ops(IEnumerable<Intent> intents) => [.. intents.Select(i => Op(i).Text)];

    private static (string? Ns, string Text) Op(Intent i) => i switch
    {
        ApplyIntent a => (a.Namespace, $"{(a.Mode == ApplyMode.Create ? "create" : "update")} {a.Kind} {a.Namespace}/{a.Name}"),
        DeleteIntent del => (del.Namespace, $"delete {del.Kind} {del.Namespace}/{del.Name}"),
        DeleteCollectionIntent dc => (dc.Namespace, $"deleteall {dc.KindInfo.Kind} {dc.Namespace} {string.Join(",", dc.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}"),
        ClusterMetadataIntent c => (c.Cluster, $"cluster {c.Cluster}" +
            string.Concat(c.AddLabels.OrderBy(l => l.Key).Select(l => $" +{l.Key}={l.Value}")) + string.Concat(c.RemoveLabels.Select(l => $" -{l}")) +
            string.Concat(c.AddAnnotations.OrderBy(l => l.Key).Select(l => $" +@{l.Key}={l.Value}")) + string.Concat(c.RemoveAnnotations.Select(l => $" -@{l}"))),
        FinalizerIntent f => (null, $"finalizer {(f.Add ? "+" : "-")}{f.Finalizer}"),
        _ => (null, i.ToString()),
    };

    /// <summary>"Type Reason Action: Note".</summary>
    public static List<string> Events(IEnumerable<EngineEvent> events) =>
        [.. events.Select(e => $"{e.Type} {e.Reason} {e.Action}: {e.Note}")];

    public static List<string> Events(Decision d) => Events(d.Events);

    public static string Annotations(EngineEvent e) => string.Join(" ", e.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));

    public static string Json<T>(T value) => Api.Json.KubeJson.Serialize(value);

    public static string? Str(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
                return null;
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
    }

    public static Dictionary<string, string> Map(params (string Key, string Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);
}
