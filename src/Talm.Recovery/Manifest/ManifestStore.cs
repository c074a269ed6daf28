using System.Text.Json;
using Talm.Recovery.Layout;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Manifest;

/// <summary>Reads and durably writes <c>manifest.json</c>.</summary>
public static class ManifestStore
{
    /// <summary>The manifest's serializer options (camelCase, nulls left out), with its generated contract.</summary>
    public static JsonSerializerOptions Options => ManifestJsonContext.Default.Options;

    /// <summary>
    /// Reads the manifest of a backup root and checks it (<see cref="ManifestValidator"/>): every path in
    /// it is safe to join under a root. Throws <see cref="InvalidDataException"/> naming the problem, in one line.
    /// </summary>
    public static BackupManifest Read(string backupRoot)
    {
        var path = BackupDirectory.ManifestOf(backupRoot);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"no {BackupLayout.Manifest} in {backupRoot}: there is no complete backup there; run `talm recovery backup`");
        }

        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    /// <summary>Reads a manifest from <paramref name="stream"/>; <paramref name="source"/> names it in messages.</summary>
    public static BackupManifest Parse(Stream stream, string source)
    {
        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(stream, ManifestJsonContext.Default.BackupManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid manifest ({e.Message}); the backup is damaged, take a new one", e);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{source} is empty; the backup is damaged, take a new one");
        }

        if (manifest.Format != BackupManifest.CurrentFormat)
        {
            throw new InvalidDataException($"{source} has format {manifest.Format}, this talm reads format {BackupManifest.CurrentFormat}; use the talm saved with the backup ({BackupLayout.RecoveryScript})");
        }

        if (ManifestValidator.FirstProblem(manifest) is { } problem)
        {
            throw new InvalidDataException($"{source} is not a valid manifest: {problem}; the backup is damaged or was tampered with, take a new one");
        }

        return manifest;
    }

    /// <summary>Returns null instead of throwing when the manifest is missing or unreadable.</summary>
    public static BackupManifest? TryRead(string backupRoot)
    {
        try
        {
            return Read(backupRoot);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Writes the manifest through a temporary file, fsyncs it, renames it into place and fsyncs the directory.</summary>
    public static void Write(string backupRoot, BackupManifest manifest)
    {
        var path = BackupDirectory.ManifestOf(backupRoot);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, manifest, ManifestJsonContext.Default.BackupManifest);
            stream.Flush(flushToDisk: true);
        }

        Posix.Rename(temp, path);
        Posix.Fsync(backupRoot);
    }
}
