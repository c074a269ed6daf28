using System.Text.Json;
using System.Text.Json.Serialization;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Unattended;

/// <summary>
/// <c>&lt;dir&gt;/restore-result.json</c> (<see cref="BackupDirectory.RestoreResult"/>): written whole beside itself, fsynced
/// and renamed over, so it is never half a record.
/// </summary>
public sealed class UnattendedResultFile
{
    internal UnattendedResultFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>The recorded result; null when there is none (or it cannot be read: the restore itself does not depend on it).</summary>
    public UnattendedResult? TryRead()
    {
        try
        {
            return File.Exists(Path) ? JsonSerializer.Deserialize(File.ReadAllBytes(Path), UnattendedJsonContext.Default.UnattendedResult) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(UnattendedResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var temp = Path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, result, UnattendedJsonContext.Default.UnattendedResult);
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: true);
        }

        Posix.Rename(temp, Path);
        Posix.Fsync(System.IO.Path.GetDirectoryName(Path)!);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(UnattendedResult))]
internal sealed partial class UnattendedJsonContext : JsonSerializerContext;
