using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Lab.Run;
using Talm.Lab.Scenario;
using Talm.Lab.Spokes;
using Talm.Lab.View;

namespace Talm.Lab.Tests;

/// <summary>Runs <c>lab up</c> in this process, as the CLI does, in a temporary lab directory.</summary>
internal sealed class LabHarness : IAsyncDisposable
{
    /// <param name="operatorProcess">Null runs the operator in this process; otherwise as <c>talm operator</c> in its own.</param>
    public LabHarness(OperatorProcessSettings? operatorProcess = null)
    {
        _operatorProcess = operatorProcess;
        // Short: podman limits the run root under each spoke host to 50 characters.
        Dir = Directory.CreateTempSubdirectory("tl-").FullName;
    }

    private readonly OperatorProcessSettings? _operatorProcess;

    public string Dir { get; }

    /// <summary>talm.dll next to the tests, run through dotnet, as the hub operator.</summary>
    public static OperatorProcessSettings OperatorProcess => new() { TalmFile = Talm.TalmFile, TalmPrefix = Talm.TalmPrefix };

    public StringWriter Output { get; } = new();

    /// <summary>The agent and recovery run as talm.dll next to the tests, through dotnet.</summary>
    public static FullSpokeSettings Talm => new()
    {
        TalmFile = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet",
        TalmPrefix = [Path.Combine(AppContext.BaseDirectory, "talm.dll")],
    };

    public LabOptions Options(Func<LabOptions, LabOptions> change) => change(new LabOptions { WorkDir = Dir });

    public async Task<LabResult> RunAsync(LabOptions options, Func<LabRunner, LabResult, Task>? whileUp = null)
    {
        using var logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var view = new PlainLabView(Output);
        var runner = new LabRunner(new EmbeddedBackend(LabCrds.Files(), NullLoggerFactory.Instance, _operatorProcess),
            new LabSpokeFactory(options, TimeProvider.System, NullLogger.Instance, Talm).CreateAsync, view, TimeProvider.System, NullLogger.Instance);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            return await runner.RunAsync(options, limit.Token, whileUp is null ? null : r => whileUp(runner, r));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            var lines = Output.ToString().Split('\n');
            throw new InvalidOperationException($"lab run failed: {e}\n--- last output ---\n{string.Join('\n', lines.TakeLast(40))}", e);
        }
    }

    public async ValueTask DisposeAsync() => await LabDirectory.ClearAsync(Dir, CancellationToken.None);
}
