using Microsoft.Extensions.Hosting;

namespace Talm.Hosting;

/// <summary>
/// Keeps an embedded web host (the operator's probe server, the lab's API server) away from process
/// signals: the default console lifetime would take SIGTERM and Ctrl+C for itself, stopping only the web
/// server and swallowing the signal. Whoever embeds the host decides when it stops.
/// </summary>
/// <remarks>
/// Compiled into each project that embeds a host (a linked source file): the two share no assembly that
/// carries ASP.NET Core, and a project for one class would cost more than it saves.
/// </remarks>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
