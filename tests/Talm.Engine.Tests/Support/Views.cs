using System.Text.Json;
using Talm.Api.Json;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Tests.Support;

/// <summary>ManagedClusterViews as RHACM fills them in.</summary>
public static class Views
{
    public static ManagedClusterView View(string cluster, string name, string status, string message, string? resultJson = null, string? reason = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = cluster },
        Status = new ManagedClusterViewStatus
        {
            Conditions = [new Condition { Type = "Processing", Status = status, Reason = reason, Message = message }],
            Result = resultJson is null ? null : KubeJson.Element(resultJson),
        },
    };

    public static ManagedClusterView Present(string cluster, string name, string resultJson = """{"metadata":{"name":"x"}}""") =>
        View(cluster, name, "True", "Watching resources successfully", resultJson, "GetResourceProcessing");

    public static ManagedClusterView Absent(string cluster, string name) =>
        View(cluster, name, "False", $"failed to get resource: \"{name}\" not found", reason: "GetResourceFailed");

    public static ManagedClusterView Erroring(string cluster, string name) =>
        View(cluster, name, "False", "the server is currently unable to handle the request", reason: "GetResourceFailed");

    /// <summary>A view RHACM has not filled yet: no status at all.</summary>
    public static ManagedClusterView Unfilled(string cluster, string name) => new() { Metadata = new ObjectMeta { Name = name, Namespace = cluster } };

    public static ManagedClusterView Job(string cluster, string name, string statusJson) =>
        Present(cluster, name, $$"""{"status":{{statusJson}}}""");

    public static JsonElement Json(string s) => KubeJson.Element(s);
}
