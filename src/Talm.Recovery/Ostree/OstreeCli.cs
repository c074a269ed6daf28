using System.Globalization;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Ostree;

/// <summary>The real <c>ostree admin</c> commands, on one sysroot (the host's <c>/sysroot</c>, or a sandbox's).</summary>
public sealed class OstreeCli
{
    private readonly ProcessRunner _runner;
    private readonly string _sysroot;
    private readonly string _ostree;

    public OstreeCli(ProcessRunner runner, string sysroot, string ostreeCommand = "ostree")
    {
        _runner = runner;
        _sysroot = sysroot;
        _ostree = ostreeCommand;
    }

    public string Sysroot => _sysroot;

    public async Task<IReadOnlyList<OstreeDeployment>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var result = await _runner.RunAsync(_ostree, ["admin", "status", "--sysroot=" + _sysroot], cancellationToken).ConfigureAwait(false);
        return OstreeStatusParser.Parse(result.StandardOutput);
    }

    public Task PinAsync(int index, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(_ostree, ["admin", "pin", "--sysroot=" + _sysroot, index.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    public Task UnpinAsync(int index, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(_ostree, ["admin", "pin", "--unpin", "--sysroot=" + _sysroot, index.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    /// <summary>
    /// Removes one deployment. ostree ignores pins here, so callers that must protect the pinned
    /// deployment pass it as <paramref name="protectedChecksum"/> and this refuses before running anything.
    /// </summary>
    public async Task UndeployAsync(OstreeDeployment deployment, string? protectedChecksum, CancellationToken cancellationToken = default)
    {
        if (protectedChecksum is not null && deployment.Id == protectedChecksum)
        {
            throw new InvalidOperationException($"refusing to undeploy protected deployment {deployment.Id}");
        }

        // Re-read the index right before the call: indexes shift after every undeploy.
        var now = await StatusAsync(cancellationToken).ConfigureAwait(false);
        var target = now.FirstOrDefault(d => d.Id == deployment.Id)
            ?? throw new InvalidOperationException($"deployment {deployment.Id} is no longer present in {_sysroot}");
        await _runner.RunAsync(_ostree, ["admin", "undeploy", "--sysroot=" + _sysroot, target.Index.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
    }
}
