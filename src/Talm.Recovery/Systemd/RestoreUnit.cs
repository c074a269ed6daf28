using System.Globalization;
using System.Text;
using Talm.Recovery.Layout;

namespace Talm.Recovery.Systemd;

/// <summary>
/// The one-shot systemd service that finishes an unattended restore after the reboot (docs/recovery.md,
/// "Unattended"). It runs the agent the backup carries, once: its first command disables it, so neither a
/// failure, a crash nor a power cut during the restore can bring it back at the next boot; the agent removes
/// the file when it is done, and arms it again only when the restore needs one more reboot (each run then
/// has completed a stage, so it cannot loop).
/// </summary>
public sealed record RestoreUnit
{
    public const string Name = "talm-restore.service";

    /// <summary>Where the administrator's units live, relative to a root (the node's, or a deployment's).</summary>
    public const string Directory = "etc/systemd/system";

    public const string WantedBy = "multi-user.target";

    /// <summary>The agent's command line: the program in the backup's bin/ and its arguments.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The backup directory: mounted before the unit starts (it is the recovery partition on a node).</summary>
    public required string BackupDir { get; init; }

    /// <summary>systemctl as the node has it (absolute: an Exec line is not looked up on PATH by older systemd) and the arguments that address the node.</summary>
    public required IReadOnlyList<string> Systemctl { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public DateTimeOffset WrittenAt { get; init; }

    /// <summary>The unit file's text.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        var stamp = WrittenAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        text.Append(CultureInfo.InvariantCulture, $"""
            # Written by 'talm recovery restore --unattended' on {stamp}.
            # Finishes the restore of this node from {BackupDir} after the reboot, once: it disables itself
            # before the restore starts and is removed when the restore is done. The result is in
            # {new BackupDirectory(BackupDir).RestoreResult.Path} ('talm recovery status') and the journal
            # ('journalctl -t {NodeTools.RecoveryLog.JournalTag}').
            [Unit]
            Description=Finish the restore of this node from its pre-upgrade backup (talm, unattended)
            # The restore talks to the API server (oc) and restarts CRI-O and kubelet itself; kubelet is disabled by
            # the first stage and enabled again by this one.
            Wants=network-online.target
            After=network-online.target crio.service
            RequiresMountsFor={Escape(BackupDir)}

            [Service]
            Type=oneshot
            RemainAfterExit=no

            """);
        foreach (var (key, value) in Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"Environment={Quote($"{key}={value}", forExec: false)}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"ExecStartPre={CommandLine([.. Systemctl, "disable", Name])}\n");
        text.Append(CultureInfo.InvariantCulture, $"ExecStart={CommandLine(Command)}\n");
        text.Append(CultureInfo.InvariantCulture, $"""
            # The restore bounds each of its waits (20 minutes by default); the whole may take over an hour.
            TimeoutStartSec=infinity
            StandardOutput=journal
            StandardError=journal
            SyslogIdentifier={NodeTools.RecoveryLog.JournalTag}

            [Install]
            WantedBy={WantedBy}

            """);
        return text.ToString();
    }

    /// <summary>A command line as systemd reads an Exec line: words quoted where needed, % and $ escaped.</summary>
    public static string CommandLine(IEnumerable<string> words) => string.Join(' ', words.Select(w => Quote(w, forExec: true)));

    private static string Quote(string word, bool forExec)
    {
        var escaped = Escape(word);
        if (forExec)
        {
            escaped = escaped.Replace("$", "$$", StringComparison.Ordinal);
        }

        var plain = escaped.Length > 0 && !escaped.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or ';');
        return plain ? escaped : "\"" + escaped.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>systemd expands %-specifiers in most settings: a literal % is written %%.</summary>
    private static string Escape(string value) => value.Replace("%", "%%", StringComparison.Ordinal);
}
