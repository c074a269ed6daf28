using System.Globalization;
using Talm.Recovery.Backup;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Layout;

/// <summary>
/// How many restore points a backup directory keeps (<c>backup --keep N</c>). Once given it is remembered in
/// <c>keep</c>, so a later backup that does not say (the hub's Job runs a bare <c>launchBackup</c>) keeps as many
/// instead of dropping the older ones; with nothing remembered, 1: only the current backup.
/// </summary>
public sealed partial class BackupDirectory
{
    public const int DefaultKeep = 1;

    private const string KeepName = "keep";

    public string KeepPath => Combine(KeepName);

    /// <summary>The remembered value, or <see cref="DefaultKeep"/>. Throws <see cref="BackupException"/> for a file that holds no count.</summary>
    public int ReadKeep()
    {
        if (!File.Exists(KeepPath))
        {
            return DefaultKeep;
        }

        var text = File.ReadAllText(KeepPath).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var keep) && keep >= 1
            ? keep
            : throw new BackupException($"{KeepPath} holds '{text}', not a number of restore points to keep; give --keep N to set it again");
    }

    /// <summary><paramref name="requested"/> when given (remembered from now on), else the remembered value.</summary>
    public int ResolveKeep(int? requested)
    {
        if (requested is not { } keep)
        {
            return ReadKeep();
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1, nameof(requested));
        var text = keep.ToString(CultureInfo.InvariantCulture);
        if (!File.Exists(KeepPath) || File.ReadAllText(KeepPath).Trim() != text)
        {
            var temp = KeepPath + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(text + "\n"));
                stream.Flush(flushToDisk: true);
            }

            Posix.Rename(temp, KeepPath);
            Posix.Fsync(Path);
        }

        return keep;
    }
}
