using System.Text.Json.Nodes;

namespace Talm.KubeApi.Resources;

/// <summary>
/// events.k8s.io/v1 Events are core/v1 Events seen through another API, as on a real API server: one
/// store, fields renamed on the way (regarding/involvedObject, note/message, reportingController/
/// reportingComponent, the deprecated* fields), so each API shows what the other wrote.
/// </summary>
public static class EventConversion
{
    // (events.k8s.io/v1 field, core/v1 field)
    private static readonly (string Events, string Core)[] Renamed =
    [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public static JsonObject ToCore(JsonObject events) => Rename(events, toCore: true, "v1");

    public static JsonObject FromCore(JsonObject core) => Rename(core, toCore: false, "events.k8s.io/v1");

    private static JsonObject Rename(JsonObject source, bool toCore, string apiVersion)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
        {
            var target = key;
            foreach (var (events, core) in Renamed)
            {
                if (toCore && key == events) target = core;
                else if (!toCore && key == core) target = events;
            }
            result[target] = value?.DeepClone();
        }
        result["apiVersion"] = apiVersion;
        return result;
    }
}
