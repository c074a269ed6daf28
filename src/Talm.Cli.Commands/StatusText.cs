using System.Globalization;
using System.Text;
using Talm.Recovery.Status;

namespace Talm.Cli.Commands;

/// <summary>The plain-text form of <c>talm recovery status</c>: readable on a console and in a log.</summary>
public static class StatusText
{
    public static string Render(RecoveryStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        var b = status.Backup;
        text.AppendLine(CultureInfo.InvariantCulture, $"Backup ({b.Dir})");
        if (!b.Present)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  none usable: {b.Problem}");
        }
        else
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  taken:          {b.TakenAt:yyyy-MM-dd HH:mm:ss} UTC on {b.Host}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  size:           {Size(b.Bytes ?? 0)} in {b.Files} files");
            text.AppendLine(CultureInfo.InvariantCulture, $"  OS version:     {b.OsVersion ?? "unknown"} ({Short(b.OstreeChecksum)})");
            text.AppendLine(CultureInfo.InvariantCulture, $"  etcd revision:  {b.EtcdRevision}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  verifies:       {b.Verified switch { true => "yes", false => $"NO ({b.VerifyProblems.Count} problem(s))", null => "not checked (--no-verify)" }}");
            foreach (var problem in b.VerifyProblems.Take(10))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    - {problem}");
            }
        }

        RestorePoints(text, b.RestorePoints);

        var o = status.Ostree;
        text.AppendLine(CultureInfo.InvariantCulture, $"OS deployments ({o.Sysroot})");
        if (o.Problem is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  unknown: {o.Problem}");
        }

        foreach (var d in o.Deployments)
        {
            var marks = string.Join(", ", new[] { d.Index == 0 ? "boots next" : null, d.Booted ? "booted" : null, d.Pinned ? "pinned" : null }.Where(m => m is not null));
            text.AppendLine(CultureInfo.InvariantCulture, $"  {d.Index}: {d.Version ?? "?",-28} {Short(d.Checksum)}.{d.Serial}  {marks}");
        }

        if (o.RollbackDescription is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  rollback:       {o.RollbackDescription}");
        }

        var r = status.Restore;
        text.AppendLine("Restore");
        text.AppendLine(CultureInfo.InvariantCulture, $"  stage reached:  {r.Stage}");
        if (r.Generation is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  restore point:  {r.Generation}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  next:           {r.Next}");
        if (r.Unattended is { } u)
        {
            UnattendedText.Render(text, u);
        }

        return text.ToString();
    }

    /// <summary>One line per restore point, newest first, the current one marked with '*'.</summary>
    private static void RestorePoints(StringBuilder text, IReadOnlyList<RestorePointInfo> points)
    {
        if (points.Count == 0)
        {
            return;
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Restore points ({points.Count}, newest first; * is current; 'restore --generation ID' restores another)");
        text.AppendLine(CultureInfo.InvariantCulture, $"    {"ID",-24} {"taken (UTC)",-19} {"files",7} {"size",10} {"own",10}  {"OS version",-28} {"etcd rev",10}  verifies");
        foreach (var p in points)
        {
            var mark = p.Current ? "*" : " ";
            if (p.Problem is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {mark} {p.Id,-24} unreadable: {p.Problem}");
                continue;
            }

            var verifies = p.Verified switch { true => "yes", false => $"NO ({p.VerifyProblems.Count})", null => "-" };
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {mark} {p.Id,-24} {p.TakenAt:yyyy-MM-dd HH:mm:ss} {p.Files,7} {Size(p.Bytes ?? 0),10} {Size(p.OwnBytes ?? 0),10}  {p.OsVersion ?? "unknown",-28} {p.EtcdRevision,10}  {verifies}");
            if (!p.Current)
            {
                foreach (var problem in p.VerifyProblems.Take(5))
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"      - {problem}");
                }
            }
        }
    }

    private static string Short(string? checksum) => checksum is null ? "?" : checksum[..Math.Min(12, checksum.Length)];

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };
}
