using Microsoft.Extensions.Logging;
using Talm.Api.Build;

namespace Talm.Operator.Tests;

/// <summary>The operator says which build it is when it starts, as structured fields a log pipeline can index.</summary>
public sealed class StartLineTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync() => _hub = await Hub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task The_first_line_carries_the_version_and_commit_as_fields()
    {
        var logs = new Recorder();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        await _hub.StartOperatorAsync(logs: factory);

        var first = logs.Entries.First();
        Assert.Equal(BuildVersion.Current.Version, first["Version"]);
        Assert.Equal(BuildVersion.Current.Commit ?? "unknown", first["Commit"]);
        // This build comes from a git checkout: the version is a real one, not the SDK's 1.0.0 default.
        Assert.NotEqual("1.0.0", BuildVersion.Current.Version);
    }

    private sealed class Recorder : ILoggerProvider, ILogger
    {
        private readonly object _gate = new();
        private readonly List<Dictionary<string, string?>> _entries = [];

        public IReadOnlyList<Dictionary<string, string?>> Entries
        {
            get
            {
                lock (_gate) return [.. _entries];
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value?.ToString())
                : [];
            lock (_gate) _entries.Add(fields);
        }

        public void Dispose()
        {
        }
    }
}
