using System.Diagnostics;
using System.Globalization;

namespace Talm.Recovery.NodeTools;

/// <summary>
/// The system journal's copy of what the engineer reads: each line sent with the node's own <c>logger</c>, tagged and
/// worded as the reference's utility writes them (<c>logger -t upgrade-recovery.sh --id=PID "INFO: ..."</c>), so its
/// runbooks' <c>journalctl -t upgrade-recovery.sh</c> finds backups and restores alike.
/// </summary>
public sealed class JournalCopy(string loggerPath)
{
    public const string Tag = "upgrade-recovery.sh";

    private const string JournalSocket = "/run/systemd/journal/socket";

    /// <summary>
    /// The node's journal through <c>logger</c> (found by <paramref name="find"/>), or null where there is none to copy
    /// to: no journal socket (a container, a sandbox, the backup Job's pod), no <c>logger</c>, or standard error already
    /// going to the journal (a systemd unit, such as the unattended restore's, which tags it the same).
    /// </summary>
    public static JournalCopy? ForThisNode(Func<string, string?> find)
    {
        ArgumentNullException.ThrowIfNull(find);
        if (ErrorsGoToJournal() || !File.Exists(JournalSocket))
        {
            return null;
        }

        return find("logger") is { } logger ? new JournalCopy(logger) : null;
    }

    /// <summary>Sends one entry; a journal that cannot be reached loses only this copy, never the console's line.</summary>
    public void Write(RecoveryLogLevel level, string message)
    {
        try
        {
            var start = new ProcessStartInfo(loggerPath) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["-t", Tag, "--id=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "-p", Priority(level), "--",
                         $"{Word(level).ToUpperInvariant()}: {message}"])
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start);
            process?.WaitForExit(5000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // The journal is a second copy; the console line is already written.
        }
    }

    internal static string Word(RecoveryLogLevel level) => level switch
    {
        RecoveryLogLevel.Info => "info",
        RecoveryLogLevel.Warning => "warning",
        _ => "error",
    };

    private static string Priority(RecoveryLogLevel level) => level switch
    {
        RecoveryLogLevel.Info => "user.info",
        RecoveryLogLevel.Warning => "user.warning",
        _ => "user.err",
    };

    /// <summary>systemd's JOURNAL_STREAM (<c>device:inode</c>) names our stderr's socket when a unit's output goes to the journal; children inherit it, so it is compared.</summary>
    private static bool ErrorsGoToJournal()
    {
        var stream = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        if (string.IsNullOrEmpty(stream) || stream.Split(':') is not [_, var inode])
        {
            return false;
        }

        try
        {
            return new FileInfo("/proc/self/fd/2").LinkTarget == $"socket:[{inode}]";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
