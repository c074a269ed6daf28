using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Json;
using Talm.Api.Meta;

namespace Talm.Engine.Model;

/// <summary>One change the executor must make on the hub.</summary>
public abstract record Intent;

public enum ApplyMode
{
    /// <summary>Create; an object that already exists is left as it is (not an error).</summary>
    Create,

    /// <summary>Create, or replace the existing object's content with <see cref="ApplyIntent.Body"/>.</summary>
    Update,
}

/// <summary>Create or update one object; <see cref="Body"/> is the full object.</summary>
public sealed record ApplyIntent(ApplyMode Mode, IKubeObject Body) : Intent
{
    public string ApiVersion => Body.ApiVersion;
    public string Kind => Body.Kind;
    public string? Namespace => Body.Metadata.Namespace;
    public string Name => Body.Metadata.Name ?? "";

    /// <summary>Where the kind lives (REST path); null for a kind talm does not know.</summary>
    public KindInfo? KindInfo => Kinds.Find(ApiVersion, Kind);

    /// <summary>The body as JSON with the shared options.</summary>
    public JsonObject ToJson() => (JsonObject)JsonSerializer.SerializeToNode(Body, Body.GetType(), KubeJson.Options)!;
}

/// <summary>Delete one object; a missing object is not an error.</summary>
public sealed record DeleteIntent(KindInfo KindInfo, string? Namespace, string Name) : Intent
{
    public string ApiVersion => KindInfo.ApiVersion;
    public string Kind => KindInfo.Kind;
}

/// <summary>Change labels/annotations of a ManagedCluster (beforeEnable/afterCompletion actions).</summary>
public sealed record ClusterMetadataIntent(
    string Cluster,
    IReadOnlyDictionary<string, string> AddLabels,
    IReadOnlyList<string> RemoveLabels,
    IReadOnlyDictionary<string, string> AddAnnotations,
    IReadOnlyList<string> RemoveAnnotations) : Intent;

/// <summary>Add or remove a finalizer on the CGU itself.</summary>
public sealed record FinalizerIntent(bool Add, string Finalizer) : Intent;

/// <summary>Delete every object of a kind in one namespace whose labels include <see cref="Labels"/> (a delete-collection).</summary>
public sealed record DeleteCollectionIntent(KindInfo KindInfo, string Namespace, IReadOnlyDictionary<string, string> Labels) : Intent;
