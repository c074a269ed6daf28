using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Talm.Cli.Commands;

/// <summary>Console logging for the spoke commands: one line per message on standard error.</summary>
public static class CliLogging
{
    /// <summary>How plain log and progress lines begin: the UTC time, to the second.</summary>
    public const string PlainTimestampFormat = "yyyy-MM-ddTHH:mm:ssZ ";

    /// <param name="plain">No colours (nor any other terminal control), full timestamps: for a Job's log even on a TTY.</param>
    public static ILoggerFactory Create(TextWriter error, LogLevel minimum = LogLevel.Information, bool plain = false)
    {
        if (error != Console.Error)
        {
            // Output redirected by a caller (tests): log to that writer instead.
            return LoggerFactory.Create(b => b.AddProvider(new WriterLoggerProvider(error, minimum)).SetMinimumLevel(minimum));
        }

        return LoggerFactory.Create(b => b
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = plain ? PlainTimestampFormat : "HH:mm:ss ";
                o.UseUtcTimestamp = true;
                o.ColorBehavior = plain ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .SetMinimumLevel(minimum));
    }

    private sealed class WriterLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new WriterLogger(writer, minimum);

        public void Dispose()
        {
        }
    }

    private sealed class WriterLogger(TextWriter writer, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => NullScope.Instance;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (writer)
            {
                writer.WriteLine($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }

    private sealed class NullScope : IDisposable
    {
        public static readonly NullScope Instance = new();

        public void Dispose()
        {
        }
    }
}
