using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>The backup Job run on the spoke, as the reference's backup-job-create action carries it.</summary>
internal static class BackupJob
{
    public const int ActiveDeadlineSeconds = 480;

    /// <summary>Hub-side limit on the whole backup phase: the Job's deadline plus 720 s of grace.</summary>
    public static readonly TimeSpan HubLimit = TimeSpan.FromSeconds(ActiveDeadlineSeconds + 720);

    // Mounted under /host, beside the emptyDir at /host itself.
    private static readonly HostVolume[] HostPaths =
    [
        new("host-boot", "/boot", true, "Directory"),
        new("host-dev-log", "/dev/log", false, "Socket"),
        new("host-etc", "/etc", false, "Directory"),
        new("host-proc", "/proc", true, "Directory"),
        new("host-run", "/run", false, "Directory"),
        new("host-sysroot", "/sysroot", false, "Directory"),
        new("host-tmp", "/tmp", false, "Directory"),
        new("host-usr-bin", "/usr/bin", true, "Directory"),
        new("host-usr-lib", "/usr/lib", true, "Directory"),
        new("host-usr-lib64", "/usr/lib64", true, "Directory"),
        new("host-usr-libexec", "/usr/libexec", true, "Directory"),
        new("host-usr-local", "/usr/local", true, "Directory"),
        new("host-usr-share-containers", "/usr/share/containers", true, "Directory"),
        new("host-var-lib", "/var/lib", false, "Directory"),
        new("host-var-recovery", "/var/recovery", false, "DirectoryOrCreate"),
        new("host-var-tmp", "/var/tmp", false, "Directory"),
        new("sys-fs-cgroup", "/sys/fs/cgroup", true, "Directory"),
    ];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, JsonElement> Built = new(StringComparer.Ordinal);

    /// <summary>The Job for <paramref name="image"/>, built once: an immutable element shared by every cluster's action.</summary>
    public static JsonElement Build(string image) =>
        Built.GetOrAdd(image, static i => Create(i, SpokeNames.BackupAgent, SpokeNames.BackupNamespace, ["launchBackup"], ActiveDeadlineSeconds));

    /// <summary>
    /// The backup Job's pod (volumes, mounts, privileges) under another name, in another namespace, with other
    /// arguments: ours, for the agent's pre-flight. The Job, its service account and its pod template share the name.
    /// </summary>
    public static JsonElement Create(string image, string name, string ns, IReadOnlyList<string> args, int activeDeadlineSeconds)
    {
        var volumes = new JsonArray(new JsonObject { ["name"] = "host", ["emptyDir"] = new JsonObject() });
        var mounts = new JsonArray(new JsonObject { ["name"] = "host", ["mountPath"] = "/host" });
        HostVolumes.AddTo(volumes, mounts, HostPaths);
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
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
                        ["name"] = name,
                        ["annotations"] = HostVolumes.Annotations(),
                    },
                    ["spec"] = new JsonObject
                    {
                        ["restartPolicy"] = "Never",
                        ["serviceAccountName"] = name,
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "container-image",
                            ["image"] = image,
                            ["args"] = new JsonArray([.. args.Select(a => (JsonNode)JsonValue.Create(a)!)]),
                            ["securityContext"] = new JsonObject { ["privileged"] = true, ["runAsUser"] = 0 },
                            ["tty"] = true,
                            ["volumeMounts"] = mounts,
                        }),
                        ["volumes"] = volumes,
                    },
                },
            },
        };
        return JsonSerializer.SerializeToElement(job);
    }
}
