using System.Text.Json.Nodes;
using Talm.Lab.Hub;

namespace Talm.Lab.Rhacm;

/// <summary>Kubernetes label selector matching (matchLabels and matchExpressions, AND-ed).</summary>
internal static class LabelSelector
{
    public static bool Matches(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not JsonObject s) return true;
        if (s["matchLabels"] is JsonObject ml)
        {
            foreach (var (k, v) in ml)
            {
                var want = v is JsonValue jv && jv.TryGetValue<string>(out var str) ? str : "";
                if (!labels.TryGetValue(k, out var have) || have != want) return false;
            }
        }
        foreach (var expr in Json.Items(s["matchExpressions"]))
        {
            var key = Json.Str(expr, "key") ?? "";
            var op = Json.Str(expr, "operator") ?? "";
            var values = Json.Strings(expr["values"]);
            var has = labels.TryGetValue(key, out var value);
            var ok = op switch
            {
                "In" => has && values.Contains(value!),
                "NotIn" => !has || !values.Contains(value!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
