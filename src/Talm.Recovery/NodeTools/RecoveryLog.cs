using System.Diagnostics;

namespace Talm.Recovery.NodeTools;

/// <summary>
/// What the engineer at the console reads, line by line, also sent to the system journal when the node
/// has one, so a lost terminal loses nothing. The entries are tagged and worded as the reference's
/// utility writes them (<c>logger -t upgrade-recovery.sh --id=PID "INFO: ..."</c>), so its runbooks'
/// <c>journalctl -t upgrade-recovery.sh</c> finds them.
/// </summary>
public sealed class RecoveryLog(TextWriter output, TextWriter errors, string? loggerPath, TimeProvider time)
{
    private readonly Lock _gate = new();

    public const string JournalTag = "upgrade-recovery.sh";

    public void Info(string message) => Write(output, "info", message);

    public void Warn(string message) => Write(errors, "warning", message);

    public void Error(string message) => Write(errors, "error", message);

    private void Write(TextWriter writer, string level, string message)
    {
        lock (_gate)
        {
            var stamp = time.GetUtcNow().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteLine(level == "info" ? $"[{stamp}] {message}" : $"[{stamp}] {level}: {message}");
            writer.Flush();
        }

        if (loggerPath is null)
        {
            return;
        }

        try
        {
            var start = new ProcessStartInfo(loggerPath) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-t");
            start.ArgumentList.Add(JournalTag);
            start.ArgumentList.Add("--id=" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add("-p");
            start.ArgumentList.Add(level == "info" ? "user.info" : level == "warning" ? "user.warning" : "user.err");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add($"{level.ToUpperInvariant()}: {message}");
            using var process = Process.Start(start);
            process?.WaitForExit(5000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // The journal is a second copy; the console line above is already written.
        }
    }
}
