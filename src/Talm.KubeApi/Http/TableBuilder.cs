using System.Globalization;
using System.Text.Json.Nodes;
using Talm.KubeApi.Json;
using Talm.KubeApi.Resources;
using Talm.KubeApi.Semantics;

namespace Talm.KubeApi.Http;

/// <summary>Server-side printing: <c>meta.k8s.io/v1</c> Table responses from a resource's printer columns.</summary>
public sealed class TableBuilder
{
    private readonly ResourceType _type;
    private readonly IReadOnlyList<PrinterColumn> _columns;
    private readonly DateTimeOffset _now;
    private readonly string _includeObject;

    public TableBuilder(ResourceType type, string version, DateTimeOffset now, string? includeObject)
    {
        _type = type;
        _columns = type.Version(version)?.Columns ?? [];
        _now = now;
        _includeObject = includeObject ?? "Metadata";
    }

    /// <summary>Matches the Accept header kubectl sends for server-side printing.</summary>
    public static bool Wanted(string? accept) =>
        accept is not null && accept.Contains("as=Table", StringComparison.Ordinal);

    public JsonObject Table(IEnumerable<JsonObject> objects, string resourceVersion, string? continueToken)
    {
        var meta = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (continueToken is not null) meta["continue"] = continueToken;
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = meta,
            ["columnDefinitions"] = Definitions(),
            ["rows"] = new JsonArray(objects.Select(o => (JsonNode)Row(o)).ToArray()),
        };
    }

    private JsonArray Definitions()
    {
        var defs = new JsonArray(new JsonObject
        {
            ["name"] = "Name", ["type"] = "string", ["format"] = "name", ["priority"] = 0,
            ["description"] = "Name must be unique within a namespace.",
        });
        foreach (var c in _columns)
        {
            defs.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type == "date" ? "string" : c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            });
        }
        return defs;
    }

    private JsonObject Row(JsonObject obj)
    {
        var cells = new JsonArray(JsonUtil.MetaStr(obj, "name"));
        foreach (var c in _columns) cells.Add(Cell(obj, c));
        var row = new JsonObject { ["cells"] = cells };
        if (_includeObject == "Object")
        {
            row["object"] = obj.DeepClone();
        }
        else if (_includeObject != "None")
        {
            row["object"] = new JsonObject
            {
                ["kind"] = "PartialObjectMetadata",
                ["apiVersion"] = "meta.k8s.io/v1",
                ["metadata"] = obj["metadata"]?.DeepClone(),
            };
        }
        return row;
    }

    private JsonNode? Cell(JsonObject obj, PrinterColumn column)
    {
        var values = SimpleJsonPath.Evaluate(obj, column.JsonPath);
        if (values.Count == 0 || values[0] is null) return null;
        var value = values[0]!;
        if (column.Type == "date" && JsonUtil.Scalar(value) is { } text &&
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return HumanDuration.Format(_now - at);
        }
        if (column.Type is "integer" or "number" or "boolean") return value.DeepClone();
        return values.Count == 1 ? JsonUtil.Scalar(value) : string.Join(",", values.Select(JsonUtil.Scalar));
    }

    public string Kind => _type.Kind;
}
