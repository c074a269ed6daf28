using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

/// <summary>
/// <c>&lt;dir&gt;/progress</c>: completed stages, one per line, appended and fsynced as each completes,
/// so a power cut or a crash never records a stage that did not finish.
/// </summary>
public sealed class ProgressFile(string backupDir)
{
    public string Path { get; } = System.IO.Path.Combine(backupDir, BackupLayout.ProgressFile);

    /// <summary>Beside the progress file: the host root the restore began on, so --resume cannot continue it on another.</summary>
    public string HostRootPath { get; } = System.IO.Path.Combine(backupDir, BackupLayout.ProgressFile + ".host-root");

    /// <summary>Beside the progress file: the restore point the restore began from (see <see cref="RestoreSource"/>).</summary>
    public string GenerationPath { get; } = System.IO.Path.Combine(backupDir, BackupLayout.ProgressFile + ".generation");

    public bool Exists => File.Exists(Path);

    public IReadOnlyList<string> Read()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        var lines = File.ReadAllLines(Path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        foreach (var line in lines)
        {
            if (!RestoreStage.Recorded.Contains(line))
            {
                throw new InvalidDataException($"{Path} holds an unknown stage '{line}'; run again with --restart to start the restore over");
            }
        }

        return lines;
    }

    /// <summary>The last completed stage, or null when the restore has not started.</summary>
    public string? Last() => Read() is { Count: > 0 } lines ? lines[^1] : null;

    public void Append(string stage)
    {
        using (var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(stage + "\n");
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        Posix.Fsync(System.IO.Path.GetDirectoryName(Path)!);
    }

    /// <summary>Records, durably, the host root a restore begins on (before its first stage is recorded).</summary>
    public void RecordHostRoot(string hostRoot)
    {
        var temp = HostRootPath + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(hostRoot + "\n"));
            stream.Flush(flushToDisk: true);
        }

        Posix.Rename(temp, HostRootPath);
        Posix.Fsync(System.IO.Path.GetDirectoryName(Path)!);
    }

    /// <summary>The host root the started restore began on; null when none was recorded (a restore begun by an older talm).</summary>
    public string? RecordedHostRoot() => File.Exists(HostRootPath) ? File.ReadAllText(HostRootPath).Trim() : null;

    public void Delete()
    {
        var changed = false;
        foreach (var path in new[] { Path, HostRootPath, GenerationPath })
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                changed = true;
            }
        }

        if (changed)
        {
            Posix.Fsync(System.IO.Path.GetDirectoryName(Path)!);
        }
    }
}
