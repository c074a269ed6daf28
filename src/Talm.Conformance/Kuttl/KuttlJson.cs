using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.Conformance.Kuttl;

/// <summary>Typed reads of kuttl's own documents (TestSuite, TestStep), with the file named on a wrong type.</summary>
internal static class KuttlJson
{
    public static string String(JsonObject o, string key, string where) => o[key] switch
    {
        null => string.Empty,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new InvalidDataException($"{where}: {key} must be a string"),
    };

    public static bool Bool(JsonObject o, string key, string where) => o[key] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new InvalidDataException($"{where}: {key} must be true or false"),
    };

    public static int Int(JsonObject o, string key, string where) => o[key] switch
    {
        null => 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue => (int)l,
        _ => throw new InvalidDataException($"{where}: {key} must be a whole number"),
    };

    public static IReadOnlyList<string> Strings(JsonObject o, string key, string where) => o[key] switch
    {
        null => [],
        JsonArray a => a.Select(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new InvalidDataException($"{where}: {key} must be a list of strings")).ToList(),
        _ => throw new InvalidDataException($"{where}: {key} must be a list of strings"),
    };

    public static string? ApiVersion(JsonObject o) => o["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string? Kind(JsonObject o) => o["kind"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static bool IsKuttl(JsonObject o) =>
        ApiVersion(o) is { } av && av.StartsWith("kuttl.dev/", StringComparison.Ordinal);
}
