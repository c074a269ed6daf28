using System.Text.Json.Nodes;
using Talm.Api.Json;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// Reads kuttl files the way kuttl does: every YAML document becomes a JSON object with the scalar typing of
/// YAML 1.1 (the Go YAML library kuttl decodes with: <c>yes</c>/<c>on</c> are booleans), and documents without
/// a <c>kind</c> (empty ones before a <c>---</c>, comment-only ones) are dropped.
/// </summary>
public static class KuttlYaml
{
    public static IReadOnlyList<JsonObject> ReadObjects(string file)
    {
        try
        {
            return ParseObjects(File.ReadAllText(file));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    public static IReadOnlyList<JsonObject> ParseObjects(string yaml)
    {
        var result = new List<JsonObject>();
        foreach (var doc in ParseDocuments(yaml))
        {
            if (doc is null) continue;
            if (doc is not JsonObject obj) throw new InvalidDataException("a document is not a mapping");
            if (obj["kind"] is JsonValue kind && kind.TryGetValue<string>(out var k) && k.Length > 0) result.Add(obj);
        }
        return result;
    }

    public static IReadOnlyList<JsonNode?> ParseDocuments(string yaml)
    {
        try
        {
            return YamlJson.ParseAll(yaml, YamlSchema.Yaml11);
        }
        catch (YamlJsonException e)
        {
            throw new InvalidDataException($"the YAML cannot be parsed: {e.Message}", e);
        }
    }
}
