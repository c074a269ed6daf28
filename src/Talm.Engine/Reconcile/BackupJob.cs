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

    private const string ManagementAnnotation = "target.workload.openshift.io/management";
    private const string ManagementValue = "{\"effect\":\"PreferredDuringScheduling\"}";

    // (volume name, host path, read-only, hostPath type); the first is the emptyDir mounted at /host.
    private static readonly (string Name, string Path, bool ReadOnly, string Type)[] HostPaths =
    [
        ("host-boot", "/boot", true, "Directory"),
        ("host-dev-log", "/dev/log", false, "Socket"),
        ("host-etc", "/etc", false, "Directory"),
        ("host-proc", "/proc", true, "Directory"),
        ("host-run", "/run", false, "Directory"),
        ("host-sysroot", "/sysroot", false, "Directory"),
        ("host-tmp", "/tmp", false, "Directory"),
        ("host-usr-bin", "/usr/bin", true, "Directory"),
        ("host-usr-lib", "/usr/lib", true, "Directory"),
        ("host-usr-lib64", "/usr/lib64", true, "Directory"),
        ("host-usr-libexec", "/usr/libexec", true, "Directory"),
        ("host-usr-local", "/usr/local", true, "Directory"),
        ("host-usr-share-containers", "/usr/share/containers", true, "Directory"),
        ("host-var-lib", "/var/lib", false, "Directory"),
        ("host-var-recovery", "/var/recovery", false, "DirectoryOrCreate"),
        ("host-var-tmp", "/var/tmp", false, "Directory"),
        ("sys-fs-cgroup", "/sys/fs/cgroup", true, "Directory"),
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
        foreach (var (volume, path, ro, type) in HostPaths)
        {
            volumes.Add(new JsonObject { ["name"] = volume, ["hostPath"] = new JsonObject { ["path"] = path, ["type"] = type } });
            var mount = new JsonObject { ["name"] = volume, ["mountPath"] = "/host" + path };
            if (ro)
                mount["readOnly"] = true;
            mounts.Add(mount);
        }
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["annotations"] = new JsonObject { [ManagementAnnotation] = ManagementValue },
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
                        ["annotations"] = new JsonObject { [ManagementAnnotation] = ManagementValue },
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
