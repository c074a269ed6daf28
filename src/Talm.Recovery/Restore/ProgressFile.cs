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

    public void Delete()
    {
        if (File.Exists(Path))
        {
            File.Delete(Path);
            Posix.Fsync(System.IO.Path.GetDirectoryName(Path)!);
        }
    }
}
