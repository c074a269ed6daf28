using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.KubeApi.Json;
using Talm.KubeApi.Resources;

namespace Talm.KubeApi.Semantics;

/// <summary>
/// The checks the real API server makes on the built-in kinds it decodes into typed structs: a
/// ConfigMap's <c>data</c> is a map of strings and its <c>binaryData</c> base64, as are a Secret's
/// <c>data</c> (and <c>stringData</c> strings); keys follow the config key rule and the whole is at
/// most 1 MiB. Decoding failures are 400 with Go's wording, rule failures 422.
/// </summary>
public static class BuiltinValidation
{
    /// <summary>The real server's limit on a ConfigMap's or Secret's data, all keys together.</summary>
    public const int MaxDataBytes = 1024 * 1024;

    private sealed record Field(string Name, bool Base64);

    private static readonly Dictionary<string, Field[]> Maps = new(StringComparer.Ordinal)
    {
        ["ConfigMap"] = [new("data", false), new("binaryData", true)],
        ["Secret"] = [new("data", true), new("stringData", false)],
    };

    /// <summary>
    /// What a typed decode would refuse (400), checked on the incoming object before anything else reads it;
    /// a null value becomes "" as decoding does.
    /// </summary>
    public static void Decode(ResourceType type, JsonObject obj)
    {
        if (type.Group.Length != 0 || !Maps.TryGetValue(type.Kind, out var fields)) return;
        foreach (var field in fields)
        {
            switch (obj[field.Name])
            {
                case null:
                    continue;
                case JsonObject map:
                    foreach (var (key, value) in map.ToList())
                    {
                        if (value is null)
                        {
                            map[key] = "";
                            continue;
                        }
                        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                            throw CannotDecode(type, $"json: cannot unmarshal {GoKind(value)} into Go struct field {type.Kind}.{field.Name} of type string");
                        if (field.Base64 && Base64Error(v.GetValue<string>()) is { } at)
                            throw CannotDecode(type, $"illegal base64 data at input byte {at}");
                    }
                    break;
                case var other:
                    throw CannotDecode(type,
                        $"json: cannot unmarshal {GoKind(other)} into Go struct field {type.Kind}.{field.Name} of type {(field.Base64 ? "map[string][]uint8" : "map[string]string")}");
            }
        }
    }

    /// <summary>The validation rules (422 causes) of an already decoded ConfigMap or Secret; empty for other kinds.</summary>
    public static IReadOnlyList<string> Problems(ResourceType type, JsonObject obj)
    {
        if (type.Group.Length != 0 || !Maps.TryGetValue(type.Kind, out var fields)) return [];
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var field in fields.Where(f => f.Name != "stringData"))
        {
            if (obj[field.Name] is not JsonObject map) continue;
            foreach (var (key, value) in map)
            {
                foreach (var problem in NameValidation.ConfigKeyProblems(key))
                    problems.Add($"{field.Name}[{key}]: Invalid value: \"{key}\": {problem}");
                if (!seen.Add(key)) problems.Add($"{field.Name}[{key}]: Invalid value: \"{key}\": duplicate of key present in {fields[0].Name}");
                var text = value?.GetValue<string>() ?? "";
                total += field.Base64 ? text.Length / 4 * 3 : System.Text.Encoding.UTF8.GetByteCount(text);
            }
        }
        if (total > MaxDataBytes) problems.Add($"[]: Too long: must have at most {MaxDataBytes} bytes");
        return problems;
    }

    private static ApiException CannotDecode(ResourceType type, string error) =>
        ApiException.BadRequest($"{type.Kind} in version \"v1\" cannot be handled as a {type.Kind}: {error}");

    private static string GoKind(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "number",
        },
        _ => "value",
    };

    /// <summary>
    /// Where Go's standard base64 decoding (padding required, CR and LF ignored) fails, or null:
    /// the first character outside the alphabet, a misplaced '=', or the start of an incomplete quantum.
    /// </summary>
    public static int? Base64Error(string text)
    {
        var inQuantum = 0;
        var quantumStart = 0;
        var secondPad = false;
        var padded = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\r' or '\n') continue;
            if (secondPad)
            {
                if (c != '=') return i;
                (secondPad, padded, inQuantum) = (false, true, 0);
                continue;
            }
            if (padded) return i;
            if (c == '=')
            {
                if (inQuantum < 2) return i;
                if (inQuantum == 2) secondPad = true;
                else (padded, inQuantum) = (true, 0);
                continue;
            }
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/')) return i;
            if (inQuantum == 0) quantumStart = i;
            inQuantum = (inQuantum + 1) % 4;
        }
        return inQuantum != 0 || secondPad ? quantumStart : null;
    }
}
