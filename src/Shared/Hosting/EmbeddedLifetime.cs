using Microsoft.Extensions.Hosting;

namespace Talm.KubeApi;

/// <summary>
/// Keeps the embedded web host away from process signals: the default console lifetime would swallow
/// SIGTERM/Ctrl+C for itself, leaving the hosting process (CLI, tests, operator) unable to stop.
/// Whoever embeds the server decides when to dispose it.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
