using System.Text.Json.Nodes;
using Talm.Api.Json;

namespace Talm.KubeApi.Json;

/// <summary>YAML request bodies and manifest files, read by talm's one YAML reader (<see cref="Api.Json.YamlJson"/>), failing as a 400.</summary>
public static class YamlBody
{
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        try
        {
            return Api.Json.YamlJson.ParseAll(yaml);
        }
        catch (YamlJsonException e)
        {
            throw ApiException.BadRequest($"the YAML body cannot be parsed: {e.Message}");
        }
    }

    public static JsonObject ParseObject(string yaml)
    {
        var docs = ParseAll(yaml);
        return docs.Count == 1 && docs[0] is JsonObject o
            ? o
            : throw ApiException.BadRequest("the YAML body must hold exactly one mapping");
    }
}
