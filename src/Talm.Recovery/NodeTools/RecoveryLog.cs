using System.Globalization;

namespace Talm.Recovery.NodeTools;

/// <summary>How much a line of the recovery log matters (the journal's priority follows it).</summary>
public enum RecoveryLogLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// The agent's one log sink: what the engineer at the console (or <c>oc logs</c>) reads, line by line, with a copy in
/// the system journal when the node has one (<see cref="JournalCopy"/>), so a lost terminal loses nothing. Restore,
/// rollback and the unattended restore write to it directly; the backup's <c>ILogger</c> writes to it through
/// <see cref="RecoveryLoggerProvider"/>.
/// </summary>
public sealed class RecoveryLog
{
    /// <summary>How a plain line (a Job's log, output that is not a terminal) begins: the UTC time to the second.</summary>
    public const string PlainTimestampFormat = "yyyy-MM-ddTHH:mm:ssZ ";

    public const string JournalTag = JournalCopy.Tag;

    private readonly Lock _gate = new();
    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private readonly JournalCopy? _journal;
    private readonly TimeProvider _time;
    private readonly bool _fullTimestamps;

    /// <param name="output">Where information goes.</param>
    /// <param name="errors">Where warnings and errors go.</param>
    /// <param name="journal">The journal's copy, or null.</param>
    /// <param name="time">The clock the lines are stamped with.</param>
    /// <param name="fullTimestamps">Lines begin with <see cref="PlainTimestampFormat"/> (date and time, UTC) instead of <c>[HH:mm:ss]</c>.</param>
    public RecoveryLog(TextWriter output, TextWriter errors, JournalCopy? journal, TimeProvider time, bool fullTimestamps = false)
    {
        _output = output;
        _errors = errors;
        _journal = journal;
        _time = time;
        _fullTimestamps = fullTimestamps;
    }

    /// <summary>This log as an <c>ILogger</c>, for the adapters that log through one (the ostree remounts).</summary>
    public Microsoft.Extensions.Logging.ILogger AsLogger() => new RecoveryLoggerProvider(this).CreateLogger("talm.recovery");

    public void Info(string message) => Write(RecoveryLogLevel.Info, message);

    public void Warn(string message) => Write(RecoveryLogLevel.Warning, message);

    public void Error(string message) => Write(RecoveryLogLevel.Error, message);

    public void Write(RecoveryLogLevel level, string message)
    {
        var writer = level == RecoveryLogLevel.Info ? _output : _errors;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var stamp = _fullTimestamps
                ? now.ToString(PlainTimestampFormat, CultureInfo.InvariantCulture)
                : "[" + now.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "] ";
            writer.WriteLine(level == RecoveryLogLevel.Info ? stamp + message : $"{stamp}{JournalCopy.Word(level)}: {message}");
            writer.Flush();
        }

        _journal?.Write(level, message);
    }
}
