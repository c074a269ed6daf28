using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.Conformance.UpdateGraph;

/// <summary>One release in a channel of the update graph: its version and its release image.</summary>
public sealed record GraphRelease(string Version, string Payload);

/// <summary>
/// What the update-graph stand-in answers (<c>conformance/update-graph.json</c>): the graph's host and path, and
/// per channel the releases the reference's scenarios ask for. Each release names where it comes from
/// (<c>source</c>), so a fact in the file can be checked.
/// </summary>
public sealed record UpdateGraphData(string Host, string Path, IReadOnlyDictionary<string, IReadOnlyList<GraphRelease>> Channels)
{
    public const string FileName = "update-graph.json";

    public int VersionCount => Channels.Values.SelectMany(r => r).Select(r => r.Version).Distinct(StringComparer.Ordinal).Count();

    public static UpdateGraphData Load(string file)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
        if (root is not JsonObject o) throw new InvalidDataException($"{file}: expected an object");
        var host = Text(o, "host", file);
        var path = Text(o, "path", file);
        if (!path.StartsWith('/')) throw new InvalidDataException($"{file}: path must start with /");
        if (o["channels"] is not JsonObject channels || channels.Count == 0) throw new InvalidDataException($"{file}: channels must name at least one channel");
        var result = new Dictionary<string, IReadOnlyList<GraphRelease>>(StringComparer.Ordinal);
        foreach (var (channel, list) in channels)
        {
            var where = $"{file}: channels.{channel}";
            if (list is not JsonArray releases) throw new InvalidDataException($"{where} must be a list");
            var parsed = new List<GraphRelease>();
            for (var i = 0; i < releases.Count; i++)
            {
                if (releases[i] is not JsonObject release) throw new InvalidDataException($"{where}[{i}] must be an object");
                // Every fact says where it comes from; the stand-in does not serve it.
                Text(release, "source", $"{where}[{i}]");
                parsed.Add(new GraphRelease(Text(release, "version", $"{where}[{i}]"), Text(release, "payload", $"{where}[{i}]")));
            }
            result[channel] = parsed;
        }
        return new UpdateGraphData(host, path, result);
    }

    /// <summary>The graph of one channel as the update service serves it (Cincinnati's JSON): no edges, since no scenario asks for any.</summary>
    public string GraphJson(string channel)
    {
        var nodes = new JsonArray();
        foreach (var r in Channels.TryGetValue(channel, out var releases) ? releases : [])
            nodes.Add(new JsonObject { ["version"] = r.Version, ["payload"] = r.Payload, ["metadata"] = new JsonObject() });
        return new JsonObject
        {
            ["version"] = 1,
            ["nodes"] = nodes,
            ["edges"] = new JsonArray(),
            ["conditionalEdges"] = new JsonArray(),
        }.ToJsonString();
    }

    private static string Text(JsonObject o, string key, string where) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0
            ? s.Trim()
            : throw new InvalidDataException($"{where}: {key} is required");
}
