using Talm.Lab.Spokes;

namespace Talm.Lab.Run;

/// <summary>The lab's state directory: cleared before a new run, including what ostree makes immutable.</summary>
public static class LabDirectory
{
    public static async Task ClearAsync(string dir, CancellationToken ct)
    {
        if (!Directory.Exists(dir)) return;
        await OperatorProcess.StopRecordedAsync(dir);
        foreach (var pid in Directory.EnumerateFiles(dir, "etcd.pid", SearchOption.AllDirectories))
            await SpokeEtcd.StopRecordedAsync(pid);
        var spokes = Path.Combine(dir, "s");
        if (Directory.Exists(spokes))
        {
            foreach (var spoke in Directory.EnumerateDirectories(spokes))
            {
                var deploy = Path.Combine(spoke, "h", "sysroot", "ostree", "deploy");
                if (Directory.Exists(deploy)) await new Recovery.Processes.ProcessRunner().TryRunAsync("chattr", ["-R", "-i", deploy], ct);
                Recovery.Backup.PodmanRunRoot.RemoveFor(Path.Combine(spoke, "h"));
            }
        }
        Directory.Delete(dir, recursive: true);
    }
}
