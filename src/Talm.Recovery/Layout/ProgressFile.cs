using Talm.Recovery.Platform;
using Talm.Recovery.Restore;

namespace Talm.Recovery.Layout;

/// <summary>
/// <c>&lt;dir&gt;/progress</c> (the name TALM's recovery uses; <see cref="BackupDirectory.Progress"/>): completed stages,
/// one per line, appended and fsynced as each completes, so a power cut or a crash never records a stage that did not finish.
/// </summary>
public sealed class ProgressFile
{
    internal ProgressFile(string path, string hostRootPath, string generationPath)
    {
        Path = path;
        HostRootPath = hostRootPath;
        GenerationPath = generationPath;
    }

    public string Path { get; }

    /// <summary>Beside the progress file: the host root the restore began on, so --resume cannot continue it on another.</summary>
    public string HostRootPath { get; }

    /// <summary>Beside the progress file: the restore point the restore began from (see <see cref="RestoreSource"/>).</summary>
    public string GenerationPath { get; }

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
    public void RecordHostRoot(string hostRoot) => WriteLine(HostRootPath, hostRoot);

    /// <summary>The host root the started restore began on; null when none was recorded (a restore begun by an older talm).</summary>
    public string? RecordedHostRoot() => File.Exists(HostRootPath) ? File.ReadAllText(HostRootPath).Trim() : null;

    /// <summary>Records, durably, the restore point a restore begins from (before its first stage is recorded); null: none (a backup directory without generations).</summary>
    public void RecordGeneration(string? id)
    {
        if (id is null)
        {
            File.Delete(GenerationPath);
            return;
        }

        WriteLine(GenerationPath, id);
    }

    /// <summary>The restore point a started restore recorded; null when none was (a backup directory without generations, or a restore begun by an older talm).</summary>
    public string? RecordedGeneration() => File.Exists(GenerationPath) && File.ReadAllText(GenerationPath).Trim() is { Length: > 0 } id ? id : null;

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

    private void WriteLine(string path, string line)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
            stream.Flush(flushToDisk: true);
        }

        Posix.Rename(temp, path);
        Posix.Fsync(System.IO.Path.GetDirectoryName(Path)!);
    }
}
