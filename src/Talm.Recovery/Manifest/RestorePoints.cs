using System.Globalization;

namespace Talm.Recovery.Manifest;

/// <summary>A committed backup that can be restored: the current one, or an older one kept by <c>backup --keep N</c>.</summary>
/// <param name="Id">The generation's name under <c>generations/</c>.</param>
/// <param name="Root">Its directory.</param>
public sealed record RestorePoint(string Id, string Root, bool IsCurrent);

/// <summary>
/// The restore points of a backup directory. Generation names sort in the order the backups were committed
/// (<see cref="NewId"/> makes each new one sort after the current one), so a complete generation named below
/// <c>current</c> was committed before it and is kept, and one named above it was built but never committed.
/// </summary>
public static class RestorePoints
{
    private const string StampFormat = "yyyyMMdd-HHmmss";

    /// <summary>Newest first: the current generation, then the older complete ones. Empty when there is no <c>current</c>.</summary>
    public static IReadOnlyList<RestorePoint> List(string dir)
    {
        var current = BackupGenerations.CurrentGeneration(dir);
        var generations = Path.Combine(dir, BackupGenerations.GenerationsDir);
        if (current is null || !Directory.Exists(Path.Combine(generations, current)))
        {
            return [];
        }

        var older = Directory.EnumerateDirectories(generations)
            .Select(Path.GetFileName)
            .Where(name => name is not null && name[0] != '.' && string.CompareOrdinal(name, current) < 0
                           && File.Exists(Path.Combine(generations, name, BackupLayout.Manifest)))
            .Order(StringComparer.Ordinal)
            .Reverse()
            .Select(name => new RestorePoint(name!, Path.Combine(generations, name!), false));
        return [new RestorePoint(current, Path.Combine(generations, current), true), .. older];
    }

    /// <summary>The restore point named <paramref name="id"/>, or null.</summary>
    public static RestorePoint? Find(string dir, string id) => List(dir).FirstOrDefault(p => p.Id == id);

    /// <summary>The message for an unknown ID: which ones there are, and how to see them.</summary>
    public static string Unknown(string dir, string id)
    {
        var points = List(dir);
        var known = points.Count == 0
            ? "there are none (no committed backup)"
            : "there are: " + string.Join(", ", points.Select(p => p.IsCurrent ? p.Id + " (current)" : p.Id));
        return $"no restore point {id} in {dir}; {known}. 'talm recovery status --dir {dir}' lists them";
    }

    /// <summary>
    /// The name of a new generation: its start time to the second and a random suffix, made to sort after
    /// <paramref name="newest"/> even when the clock stepped back or two backups start within one second.
    /// </summary>
    public static string NewId(DateTimeOffset startedAt, string? newest, string suffix)
    {
        var at = startedAt.UtcDateTime;
        at = new DateTime(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        if (newest is { Length: >= 15 }
            && DateTime.TryParseExact(newest[..15], StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var last)
            && at <= last)
        {
            at = last.AddSeconds(1);
        }

        return at.ToString(StampFormat, CultureInfo.InvariantCulture) + "-" + suffix;
    }
}
