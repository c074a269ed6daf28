using Microsoft.Extensions.Hosting;

namespace Talm.Operator.Hosting;

/// <summary>
/// The probe server's host lifetime. The default console lifetime would take SIGTERM and Ctrl+C for
/// itself (stopping only the web server and swallowing the signal); the process's owner decides
/// when it stops, through the cancellation token.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
