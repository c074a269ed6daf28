using System.Text.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

internal enum ViewState
{
    /// <summary>No such ManagedClusterView on the hub.</summary>
    Missing,

    /// <summary>The view works and the spoke resource does not exist.</summary>
    Absent,

    /// <summary>The spoke resource exists; the result holds it.</summary>
    Present,

    /// <summary>Anything else (no status yet, an error): leave the state as it is.</summary>
    Unknown,
}

internal enum JobPhase
{
    None,
    Active,
    Succeeded,
    DeadlineExceeded,
    Failed,
}

/// <summary>Reads what a ManagedClusterView says about its spoke resource (§5.4).</summary>
internal static class ViewReader
{
    public static ViewState Read(ManagedClusterView? view)
    {
        if (view is null)
            return ViewState.Missing;
        var processing = Conditions.Find(view.Status?.Conditions, ManagedClusterView.ProcessingCondition);
        if (processing is null)
            return ViewState.Unknown;
        if (processing.IsTrue)
            return ViewState.Present;
        return processing.Message is not null && processing.Message.EndsWith("not found", StringComparison.Ordinal)
            ? ViewState.Absent
            : ViewState.Unknown;
    }

    /// <summary>active &gt; 0, else succeeded &gt; 0, else the first Failed=True condition's reason.</summary>
    public static JobPhase Job(ManagedClusterView? view)
    {
        if (view?.Status?.Result is not { ValueKind: JsonValueKind.Object } result)
            return JobPhase.None;
        // UTF-8 names: looked up for every cluster in every decision, they are not transcoded each time.
        if (!result.TryGetProperty("status"u8, out var status) || status.ValueKind != JsonValueKind.Object)
            return JobPhase.None;
        if (Count(status, "active"u8) > 0)
            return JobPhase.Active;
        if (Count(status, "succeeded"u8) > 0)
            return JobPhase.Succeeded;
        if (status.TryGetProperty("conditions"u8, out var conditions) && conditions.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in conditions.EnumerateArray())
            {
                if (PolicyTemplates.Str(c, "type") == "Failed" && PolicyTemplates.Str(c, "status") == "True")
                    return PolicyTemplates.Str(c, "reason") == "DeadlineExceeded" ? JobPhase.DeadlineExceeded : JobPhase.Failed;
            }
        }
        return JobPhase.None;
    }

    private static long Count(JsonElement status, ReadOnlySpan<byte> name) =>
        status.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
}
