using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Host;
using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Restore;
using Talm.Recovery.Rollback;
using Talm.Recovery.Systemd;

namespace Talm.Recovery.Unattended;

/// <summary>
/// <see cref="RestoreUnit"/> on the node: installed and enabled in the /etc of the deployment that boots next (through
/// the host root's handle, never following a link out of it), and disabled and removed before the restore goes on, so
/// one arming runs once.
/// </summary>
internal sealed class UnitInstaller(string hostRoot, NodeToolRunner tools, RecoveryLog log)
{
    /// <summary>systemctl as found on the node, addressing <paramref name="root"/> (offline, with --root, unless it is /).</summary>
    public IReadOnlyList<string> Systemctl(string root)
    {
        var systemctl = tools.Find("systemctl") ?? throw new RestoreFailedException("--unattended installs a systemd unit, and this node has no 'systemctl' on PATH");
        return root == "/" ? [Path.GetFullPath(systemctl)] : [Path.GetFullPath(systemctl), "--root=" + root];
    }

    /// <summary>
    /// Writes the unit file into <paramref name="target"/>'s /etc and enables it there. Throws what the node's tools and
    /// filesystem throw (<see cref="NodeToolException"/>, <see cref="IOException"/>, <see cref="NativeException"/>,
    /// <see cref="UnauthorizedAccessException"/>, <see cref="OstreeException"/>).
    /// </summary>
    public async Task InstallAsync(RestoreUnit unit, UnitTarget target)
    {
        // A deployment other than the running one lives on /sysroot, which RHCOS mounts read-only.
        using var writable = target.Relative.Length > 0 ? new NodeOstree(new HostPaths(hostRoot)).WriteAccess(NullLogger.Instance) : null;
        using (var host = ConfinedDirectory.Open(hostRoot))
        using (var dir = host.OpenDirectory(Path.Join(target.Relative, RestoreUnit.Directory), SymlinkPolicy.InRoot, create: true))
        {
            const string temp = RestoreUnit.Name + ".tmp";
            dir.Delete(temp);
            using (var file = dir.CreateFile(temp, FileModes.Readable))
            {
                RandomAccess.Write(file, System.Text.Encoding.UTF8.GetBytes(unit.Render()), 0);
                RandomAccess.FlushToDisk(file);
            }

            dir.SetMode(temp, FileModes.Readable);
            dir.Rename(temp, RestoreUnit.Name);
        }

        var root = target.Relative.Length > 0 ? Path.Join(hostRoot, target.Relative) : hostRoot;
        var systemctl = Systemctl(root);
        await tools.RunAsync(UnattendedRestore.Step, systemctl[0], [.. systemctl.Skip(1), "enable", RestoreUnit.Name]).ConfigureAwait(false);
    }

    /// <summary>Disables the unit and removes its file from the running root's /etc (both whatever the other did).</summary>
    public async Task RemoveAsync()
    {
        var systemctl = Systemctl(hostRoot);
        var disabled = await tools.TryRunAsync(UnattendedRestore.Step, systemctl[0], [.. systemctl.Skip(1), "disable", RestoreUnit.Name]).ConfigureAwait(false);
        try
        {
            using var host = ConfinedDirectory.Open(hostRoot);
            using var dir = host.OpenDirectory(RestoreUnit.Directory, SymlinkPolicy.InRoot);
            if (dir.TryStat(RestoreUnit.Name) is not null)
            {
                if (!disabled.Succeeded)
                {
                    log.Warn($"'{disabled.Command}' failed ({disabled.Output}); removing the unit file all the same");
                }

                dir.Delete(RestoreUnit.Name);
            }
        }
        catch (NativeException e) when (e.Errno == NativeException.ENOENT)
        {
            // No /etc/systemd/system: nothing was armed here.
        }
    }
}

/// <summary>Where the unit goes: the running root's /etc, or a deployment's own (its path under the host root).</summary>
internal sealed record UnitTarget(string Relative)
{
    public static readonly UnitTarget Current = new("");

    public static UnitTarget Of(OstreeDeployment deployment) => new(Path.Join("ostree", "deploy", deployment.OsName, "deploy", deployment.Id));

    /// <summary>How the log line names it ("" for the running root).</summary>
    public string Describe() => Relative.Length > 0 ? $" in the pinned deployment's /etc ({Relative})" : "";
}
