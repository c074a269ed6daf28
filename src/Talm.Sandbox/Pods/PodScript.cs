using System.Text;

namespace Talm.Sandbox.Pods;

/// <summary>
/// The script that turns a fresh mount namespace into the container's filesystem, as a container runtime
/// would: a tmpfs root holding the image (this machine's base directories and the image's own, read-only),
/// fresh <c>/proc</c>, <c>/tmp</c> and <c>/run</c>, the host's <c>/dev</c> and <c>/sys</c> (a privileged
/// container's), and the pod's volumes at their mount paths (emptyDir: a tmpfs; hostPath: a bind mount of the
/// node's path, read-only when the mount says so). Before the volumes, the node's <c>/sysroot</c> is made
/// read-only as RHCOS mounts it, so the hostPath volume of it is read-only too. Then it pivots into that root,
/// names the pod's host, and executes the container's command.
/// </summary>
internal static class PodScript
{
    /// <summary>Where hostPath volumes of kernel filesystems come from: the machine's (the node's kernel is this machine's).</summary>
    private static readonly string[] KernelPaths = ["/proc", "/sys"];

    public static string Render(string root, string hostRoot, string podName, JobPod pod, ContainerImage image)
    {
        var s = new StringBuilder();
        s.Append($$"""
            #!/bin/bash
            # The pod sandbox's container set-up (see Talm.Sandbox.Pods.PodScript).
            set -euo pipefail
            root={{Shell.Quote(root)}}
            mkdir -p "$root"
            mount -t tmpfs -o mode=0755 pod-root "$root"
            image_dir() { mkdir -p "$root$1"; mount --rbind "$1" "$root$1"; mount -o remount,bind,ro "$root$1"; }
            for d in /usr /etc; do image_dir "$d"; done
            for l in /bin /sbin /lib /lib32 /lib64 /libx32; do
              if [ -L "$l" ]; then ln -s "$(readlink "$l")" "$root$l"; elif [ -d "$l" ]; then image_dir "$l"; fi
            done

            """);
        s.Append($$"""
            mkdir -p "$root/proc" "$root/dev" "$root/sys" "$root/tmp" "$root/run" "$root/root" "$root/var/tmp"
            mount -t proc proc "$root/proc"
            mount --rbind /dev "$root/dev"
            mount --rbind /sys "$root/sys"
            mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
            mount -t tmpfs -o mode=0755 tmpfs "$root/run"

            """);
        // The image's own directories after /tmp and /run, which would hide one below them.
        foreach (var path in image.Paths.Where(p => !p.StartsWith("/usr/", StringComparison.Ordinal) && !p.StartsWith("/etc/", StringComparison.Ordinal)))
        {
            s.Append($"image_dir {Shell.Quote(path)}\n");
        }

        s.Append($$"""
            sysroot={{Shell.Quote(Path.Join(hostRoot, "sysroot"))}}
            if [ -d "$sysroot" ]; then mount --bind "$sysroot" "$sysroot"; mount -o remount,bind,ro "$sysroot"; fi
            volume() { # source target ro|rw
              if [ -d "$1" ]; then mkdir -p "$root$2"; else mkdir -p "$(dirname "$root$2")"; touch "$root$2"; fi
              mount --rbind "$1" "$root$2"
              if [ "$3" = ro ]; then mount -o remount,bind,ro "$root$2"; fi
            }

            """);
        foreach (var mount in pod.Mounts.OrderBy(m => m.MountPath.TrimEnd('/').Count(c => c == '/')).ThenBy(m => m.MountPath, StringComparer.Ordinal))
        {
            var volume = pod.Volumes.Single(v => v.Name == mount.Name);
            var target = Shell.Quote(mount.MountPath.TrimEnd('/'));
            if (volume.EmptyDir)
            {
                s.Append($"mkdir -p \"$root\"{target}; mount -t tmpfs -o mode=0777 {Shell.Quote(volume.Name)} \"$root\"{target}\n");
            }
            else
            {
                s.Append($"volume {Shell.Quote(Source(hostRoot, volume.HostPath!))} {target} {(mount.ReadOnly ? "ro" : "rw")}\n");
            }
        }

        s.Append($$"""
            echo {{Shell.Quote(podName)}} > /proc/sys/kernel/hostname
            cd "$root"
            mkdir .old-root
            pivot_root . .old-root
            cd /
            umount -l /.old-root
            rmdir /.old-root
            exec "$@"

            """);
        return s.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>The file or directory on this machine that stands for a node path.</summary>
    public static string Source(string hostRoot, string hostPath) =>
        KernelPaths.Any(k => hostPath == k || hostPath.StartsWith(k + "/", StringComparison.Ordinal))
            ? hostPath
            : Path.Join(hostRoot, hostPath.TrimStart('/'));
}
