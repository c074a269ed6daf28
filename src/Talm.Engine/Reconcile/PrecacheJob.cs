using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The pre-cache Job as the reference's precache-job-create action carries it, so that the reference's
/// pre-cache image runs unchanged: its script and environment, the spec ConfigMap read-only, and only
/// the host paths it needs, most of them read-only.
/// </summary>
internal static class PrecacheJob
{
    // Mounted under /host, beside the emptyDir at /host itself.
    private static readonly HostVolume[] HostPaths =
    [
        new("host-etc-containers", "/etc/containers", true, "Directory"),
        new("host-etc-pki-ca-trust", "/etc/pki/ca-trust", true, "Directory"),
        new("host-etc-resolv-conf", "/etc/resolv.conf", true, "File"),
        new("host-lib64", "/lib64", true, "Directory"),
        new("host-proc", "/proc", true, "Directory"),
        new("host-run", "/run", false, "Directory"),
        new("host-tmp", "/tmp", false, "Directory"),
        new("host-usr-bin", "/usr/bin", true, "Directory"),
        new("host-usr-lib", "/usr/lib", true, "Directory"),
        new("host-usr-lib64", "/usr/lib64", true, "Directory"),
        new("host-usr-libexec", "/usr/libexec", true, "Directory"),
        new("host-usr-share-containers", "/usr/share/containers", true, "Directory"),
        new("host-var-lib-cni", "/var/lib/cni", true, "Directory"),
        new("host-var-lib-containers", "/var/lib/containers", false, "Directory"),
        new("host-var-lib-kubelet", "/var/lib/kubelet", true, "Directory"),
        new("host-var-tmp", "/var/tmp", false, "Directory"),
        new("sys-fs-cgroup", "/sys/fs/cgroup", true, "Directory"),
    ];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, long), JsonElement> Built = new();

    /// <summary>The Job for this image and deadline, built once: an immutable element shared by every cluster's action.</summary>
    public static JsonElement Build(string image, long activeDeadlineSeconds) => Built.GetOrAdd((image, activeDeadlineSeconds), k => Create(k.Item1, k.Item2));

    private static JsonElement Create(string image, long activeDeadlineSeconds)
    {
        var mounts = new JsonArray(
            new JsonObject { ["mountPath"] = "/etc/config", ["name"] = "config-volume", ["readOnly"] = true },
            new JsonObject { ["mountPath"] = "/host", ["name"] = "host" });
        var volumes = new JsonArray(
            new JsonObject { ["configMap"] = new JsonObject { ["defaultMode"] = 420, ["name"] = SpokeNames.PrecacheSpecConfigMap }, ["name"] = "config-volume" },
            new JsonObject { ["emptyDir"] = new JsonObject(), ["name"] = "host" });
        HostVolumes.AddTo(volumes, mounts, HostPaths);
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject
            {
                ["name"] = SpokeNames.PrecacheJob,
                ["namespace"] = SpokeNames.PrecacheNamespace,
                ["annotations"] = HostVolumes.Annotations(),
            },
            ["spec"] = new JsonObject
            {
                ["activeDeadlineSeconds"] = activeDeadlineSeconds,
                ["backoffLimit"] = 0,
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = SpokeNames.PrecacheJob,
                        ["annotations"] = HostVolumes.Annotations(),
                    },
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["args"] = new JsonArray("/opt/precache/precache.sh"),
                            ["command"] = new JsonArray("/bin/bash", "-c"),
                            ["env"] = new JsonArray(
                                new JsonObject { ["name"] = "config_volume_path", ["value"] = "/tmp/precache/config" },
                                new JsonObject
                                {
                                    ["name"] = "NODE_NAME",
                                    ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = "spec.nodeName" } },
                                }),
                            ["image"] = image,
                            ["name"] = "pre-cache-container",
                            ["resources"] = new JsonObject(),
                            ["securityContext"] = new JsonObject { ["privileged"] = true, ["runAsUser"] = 0 },
                            ["terminationMessagePath"] = "/dev/termination-log",
                            ["terminationMessagePolicy"] = "File",
                            ["volumeMounts"] = mounts,
                        }),
                        ["dnsPolicy"] = "ClusterFirst",
                        ["restartPolicy"] = "Never",
                        ["schedulerName"] = "default-scheduler",
                        ["securityContext"] = new JsonObject(),
                        ["serviceAccountName"] = SpokeNames.PrecacheAgent,
                        ["priorityClassName"] = "system-cluster-critical",
                        ["volumes"] = volumes,
                    },
                },
            },
        };
        return JsonSerializer.SerializeToElement(job);
    }
}
