using Microsoft.Extensions.Logging;
using Talm.Recovery.NodeTools;

namespace Talm.Cli.Commands;

/// <summary>
/// Logging for the spoke commands that log through <c>ILogger</c> (the backup): onto the agent's one sink,
/// <see cref="RecoveryLog"/>, one line per message on standard error, with the journal's copy when the node has one.
/// </summary>
public static class CliLogging
{
    /// <summary>How plain log and progress lines begin: the UTC time, to the second.</summary>
    public const string PlainTimestampFormat = RecoveryLog.PlainTimestampFormat;

    /// <param name="error">Where the lines go.</param>
    /// <param name="minimum">The least level written (Debug with --verbose).</param>
    /// <param name="plain">Full timestamps on every line: for a Job's log (even on a TTY) and output that is not a terminal.</param>
    /// <param name="journal">The journal's copy (<see cref="JournalCopy.ForThisNode"/>), or null: never in the backup Job, whose log the kubelet keeps.</param>
    public static ILoggerFactory Create(TextWriter error, LogLevel minimum = LogLevel.Information, bool plain = false, JournalCopy? journal = null)
    {
        var log = new RecoveryLog(error, error, journal, TimeProvider.System, fullTimestamps: plain);
        return LoggerFactory.Create(b => b
            .AddProvider(new RecoveryLoggerProvider(log, minimum))
            .AddFilter("Microsoft", LogLevel.Warning)
            .SetMinimumLevel(minimum));
    }
}
