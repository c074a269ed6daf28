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

    /// <summary>A review kind (TokenReview, SubjectAccessReview): only created, answered at once, never stored.</summary>
    public bool IsReview { get; init; }
    public required IReadOnlyList<ResourceVersion> Versions { get; init; }
    public required string StorageVersion { get; init; }

    public string Key => Group + "/" + Plural;

    /// <summary>
    /// Where the objects are stored: their own key, or another resource's when this one is a second API
    /// for the same objects (events.k8s.io Events are core Events), converted on the way in and out.
    /// </summary>
    public string StoreKey => StoredAs?.Key ?? Key;

    /// <summary>The resource whose store this one shares, and the conversions to and from its form.</summary>
    public ResourceType? StoredAs { get; init; }

    public Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>? ToStorage { get; init; }
    public Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>? FromStorage { get; init; }
    public string ListKind => Kind + "List";
    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    public ResourceVersion? Version(string name) => Versions.FirstOrDefault(v => v.Name == name);
}
