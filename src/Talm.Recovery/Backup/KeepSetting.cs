using System.Globalization;
using Talm.Recovery.Manifest;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Backup;

/// <summary>
/// How many restore points a backup directory keeps (<c>backup --keep N</c>). Once given it is remembered in
/// <c>&lt;dir&gt;/keep</c>, so a later backup that does not say (the hub's Job runs a bare <c>launchBackup</c>)
/// keeps as many instead of dropping the older ones; with nothing remembered, 1: only the current backup.
/// </summary>
public static class KeepSetting
{
    public const int Default = 1;

    /// <summary>The remembered value, or <see cref="Default"/>. Throws <see cref="BackupException"/> for a file that holds no count.</summary>
    public static int Read(string dir)
    {
        var path = Path.Combine(dir, BackupGenerations.KeepFile);
        if (!File.Exists(path))
        {
            return Default;
        }

        var text = File.ReadAllText(path).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var keep) && keep >= 1
            ? keep
            : throw new BackupException($"{path} holds '{text}', not a number of restore points to keep; give --keep N to set it again");
    }

    /// <summary><paramref name="requested"/> when given (remembered from now on), else the remembered value.</summary>
    public static int Resolve(string dir, int? requested)
    {
        if (requested is not { } keep)
        {
            return Read(dir);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1, nameof(requested));
        var path = Path.Combine(dir, BackupGenerations.KeepFile);
        if (!File.Exists(path) || File.ReadAllText(path).Trim() != keep.ToString(CultureInfo.InvariantCulture))
        {
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(keep.ToString(CultureInfo.InvariantCulture) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            Posix.Rename(temp, path);
            Posix.Fsync(dir);
        }

        return keep;
    }
}
