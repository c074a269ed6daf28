using System.Text.Json;
using System.Text.Json.Serialization;

namespace Talm.Api.Json;

/// <summary>The one set of JSON options every part of talm uses for Kubernetes objects.</summary>
public static class KubeJson
{
    /// <summary>camelCase properties, nulls left out, map keys untouched, RFC 3339 times, integers held to their range.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            WriteIndented = false,
        };
        options.Converters.Add(new Rfc3339Converter());
        options.Converters.Add(new SaturatingIntegerConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"JSON for {typeof(T).Name} was null; pass an object");

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Parses a literal into a reusable, immutable element (templates, fixtures).</summary>
    public static JsonElement Element(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);
}
