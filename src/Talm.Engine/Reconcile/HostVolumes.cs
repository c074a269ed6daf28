using System.Text.Json.Nodes;

namespace Talm.Engine.Reconcile;

/// <summary>One host path a spoke Job mounts under <c>/host</c> (volume name, host path, read-only, hostPath type).</summary>
internal sealed record HostVolume(string Name, string Path, bool ReadOnly, string Type);

/// <summary>What the reference's spoke Jobs (backup, pre-cache) share: host paths under an emptyDir at <c>/host</c>, and the workload-management annotation.</summary>
internal static class HostVolumes
{
    private const string ManagementAnnotation = "target.workload.openshift.io/management";
    private const string ManagementValue = "{\"effect\":\"PreferredDuringScheduling\"}";

    /// <summary>The annotations of the Job and of its pod template: management workload partitioning, as on every reference Job.</summary>
    public static JsonObject Annotations() => new() { [ManagementAnnotation] = ManagementValue };

    /// <summary>Appends each host path's hostPath volume and its mount at <c>/host</c>+path (read-only where marked).</summary>
    public static void AddTo(JsonArray volumes, JsonArray mounts, IEnumerable<HostVolume> hostPaths)
    {
        foreach (var (name, path, readOnly, type) in hostPaths)
        {
            volumes.Add(new JsonObject { ["name"] = name, ["hostPath"] = new JsonObject { ["path"] = path, ["type"] = type } });
            var mount = new JsonObject { ["name"] = name, ["mountPath"] = "/host" + path };
            if (readOnly)
            {
                mount["readOnly"] = true;
            }

            mounts.Add(mount);
        }
    }
}
