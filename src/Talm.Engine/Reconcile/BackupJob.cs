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
    public static JsonElement Build(string image) => Built.GetOrAdd(image, Create);

    private static JsonElement Create(string image)
    {
        var volumes = new JsonArray(new JsonObject { ["name"] = "host", ["emptyDir"] = new JsonObject() });
        var mounts = new JsonArray(new JsonObject { ["name"] = "host", ["mountPath"] = "/host" });
        foreach (var (name, path, ro, type) in HostPaths)
        {
            volumes.Add(new JsonObject { ["name"] = name, ["hostPath"] = new JsonObject { ["path"] = path, ["type"] = type } });
            var mount = new JsonObject { ["name"] = name, ["mountPath"] = "/host" + path };
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
                ["name"] = SpokeNames.BackupAgent,
                ["namespace"] = SpokeNames.BackupNamespace,
                ["annotations"] = new JsonObject { [ManagementAnnotation] = ManagementValue },
            },
            ["spec"] = new JsonObject
            {
                ["activeDeadlineSeconds"] = ActiveDeadlineSeconds,
                ["backoffLimit"] = 0,
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = SpokeNames.BackupAgent,
                        ["annotations"] = new JsonObject { [ManagementAnnotation] = ManagementValue },
                    },
                    ["spec"] = new JsonObject
                    {
                        ["restartPolicy"] = "Never",
                        ["serviceAccountName"] = SpokeNames.BackupAgent,
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "container-image",
                            ["image"] = image,
                            ["args"] = new JsonArray("launchBackup"),
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
