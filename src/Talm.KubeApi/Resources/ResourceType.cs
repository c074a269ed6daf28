using System.Text.Json.Nodes;

namespace Talm.KubeApi.Resources;

/// <summary>Per-version details of a served resource: its schema for defaults and its Table columns.</summary>
public sealed record ResourceVersion(string Name, JsonObject? Schema, IReadOnlyList<PrinterColumn> Columns);

/// <summary>A served resource (built-in or from a CRD): names, scope, versions and behaviours.</summary>
public sealed record ResourceType
{
    public required string Group { get; init; }
    public required string Kind { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public required bool Namespaced { get; init; }
    public bool HasStatus { get; init; }
    /// <summary>Custom resources and CRDs keep <c>metadata.generation</c>; the plain built-ins here do not.</summary>
    public bool TracksGeneration { get; init; }
    public bool IsCustom { get; init; }
    public required IReadOnlyList<ResourceVersion> Versions { get; init; }
    public required string StorageVersion { get; init; }

    public string Key => Group + "/" + Plural;
    public string ListKind => Kind + "List";
    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    public ResourceVersion? Version(string name) => Versions.FirstOrDefault(v => v.Name == name);
}
