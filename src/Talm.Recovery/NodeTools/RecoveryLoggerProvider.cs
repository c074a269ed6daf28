using Microsoft.Extensions.Logging;

namespace Talm.Recovery.NodeTools;

/// <summary>
/// <c>ILogger</c> onto the <see cref="RecoveryLog"/>, for the parts of the agent that log through
/// Microsoft.Extensions.Logging (the backup, the ostree remounts): one sink, one line format, one journal copy.
/// Debug and trace become information lines when <paramref name="minimum"/> lets them through (<c>--verbose</c>).
/// </summary>
public sealed class RecoveryLoggerProvider(RecoveryLog log, LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(log, minimum);

    public void Dispose()
    {
    }

    private sealed class Logger(RecoveryLog log, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message += $" ({exception.GetType().Name}: {exception.Message})";
            }

            log.Write(
                logLevel switch
                {
                    LogLevel.Warning => RecoveryLogLevel.Warning,
                    LogLevel.Error or LogLevel.Critical => RecoveryLogLevel.Error,
                    _ => RecoveryLogLevel.Info,
                },
                message);
        }
    }
}
