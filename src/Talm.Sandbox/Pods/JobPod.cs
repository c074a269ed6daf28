using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.Sandbox.Pods;

/// <summary>A volume of the pod: a hostPath (with its type check) or an emptyDir.</summary>
public sealed record PodVolume(string Name, string? HostPath, string HostPathType, bool EmptyDir);

/// <summary>Where the container sees a volume.</summary>
public sealed record PodVolumeMount(string Name, string MountPath, bool ReadOnly);

/// <summary>
/// What a kubelet needs of a Job to run its pod: the first container (image, command, args, env, tty),
/// its volume mounts, the pod's volumes and host network, and the Job's activeDeadlineSeconds. Read from
/// the Job as the hub puts it into the <c>backup-job-create</c> ManagedClusterAction.
/// </summary>
public sealed record JobPod
{
    public required string Name { get; init; }

    public required string Image { get; init; }

    /// <summary>The container's command; null runs the image's entry point.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public bool Tty { get; init; }

    public bool Privileged { get; init; }

    public bool HostNetwork { get; init; }

    public long? ActiveDeadlineSeconds { get; init; }

    public IReadOnlyList<PodVolumeMount> Mounts { get; init; } = [];

    public IReadOnlyList<PodVolume> Volumes { get; init; } = [];

    /// <summary>Reads a Job (<c>kind: Job</c>, its pod template) or a bare pod spec.</summary>
    public static JobPod FromJob(JsonNode job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var spec = job["spec"]?["template"]?["spec"] ?? job["spec"] ?? throw new InvalidDataException("the Job has no spec.template.spec");
        var container = spec["containers"]?.AsArray().FirstOrDefault() ?? throw new InvalidDataException("the Job's pod has no container");
        var volumes = (spec["volumes"]?.AsArray() ?? []).Select(v => new PodVolume(
            Str(v, "name") ?? throw new InvalidDataException("a volume has no name"),
            Str(v?["hostPath"], "path"),
            Str(v?["hostPath"], "type") ?? "",
            v?["emptyDir"] is not null)).ToList();
        foreach (var volume in volumes.Where(v => v.HostPath is null && !v.EmptyDir))
        {
            throw new NotSupportedException($"volume {volume.Name}: the pod sandbox runs hostPath and emptyDir volumes only");
        }

        var mounts = (container["volumeMounts"]?.AsArray() ?? []).Select(m => new PodVolumeMount(
            Str(m, "name") ?? throw new InvalidDataException("a volume mount has no name"),
            Str(m, "mountPath") ?? throw new InvalidDataException("a volume mount has no mountPath"),
            m?["readOnly"]?.GetValueKind() == JsonValueKind.True)).ToList();
        foreach (var mount in mounts.Where(m => volumes.All(v => v.Name != m.Name)))
        {
            throw new InvalidDataException($"volume mount {mount.MountPath} names volume {mount.Name}, which the pod does not have");
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in container["env"]?.AsArray() ?? [])
        {
            if (Str(e, "name") is { } name && Str(e, "value") is { } value)
            {
                env[name] = value;
            }
        }

        return new JobPod
        {
            Name = Str(job["metadata"], "name") ?? "pod",
            Image = Str(container, "image") ?? throw new InvalidDataException("the container has no image"),
            Command = container["command"] is JsonArray command ? [.. command.Select(c => c!.GetValue<string>())] : null,
            Args = container["args"] is JsonArray args ? [.. args.Select(a => a!.GetValue<string>())] : [],
            Env = env,
            Tty = container["tty"]?.GetValueKind() == JsonValueKind.True,
            Privileged = container["securityContext"]?["privileged"]?.GetValueKind() == JsonValueKind.True,
            HostNetwork = spec["hostNetwork"]?.GetValueKind() == JsonValueKind.True,
            ActiveDeadlineSeconds = job["spec"]?["activeDeadlineSeconds"] is JsonValue deadline ? deadline.GetValue<long>() : null,
            Mounts = mounts,
            Volumes = volumes,
        };
    }

    private static string? Str(JsonNode? node, string key) => node?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
