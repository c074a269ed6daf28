using Microsoft.Extensions.Logging;
using Talm.Recovery.Host;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Backup;

/// <summary>
/// Saves the container images in use on the host (those of its containers, CRI-O's included) from
/// the host's container storage into one OCI layout, with podman.
/// </summary>
public sealed class ImageSaver
{
    private readonly ProcessRunner _runner;
    private readonly ILogger _logger;
    private readonly string _podman;

    public ImageSaver(ProcessRunner runner, ILogger logger, string podman = "podman")
    {
        _runner = runner;
        _logger = logger;
        _podman = podman;
    }

    /// <returns>The references saved into <paramref name="ociLayout"/>.</returns>
    public async Task<IReadOnlyList<string>> SaveAsync(HostPaths host, string ociLayout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var storage = host.ContainerStorage;
        if (!Directory.Exists(storage))
        {
            throw new DirectoryNotFoundException($"no container storage at {storage}; drop --images or check --host-root");
        }

        // No --runroot: podman's database in the storage remembers the run root it was made with and refuses
        // any other given explicitly; left out, podman takes the recorded one (and a path under --host-root
        // may also be longer than the 50 characters podman accepts for a run root).
        var driver = Directory.Exists(Path.Combine(storage, "overlay")) ? "overlay" : "vfs";
        string[] common = ["--root", storage, "--storage-driver", driver];
        var containers = await _runner.RunAsync(_podman, [.. common, "ps", "--all", "--external", "--format", "{{.ImageID}}"], cancellationToken).ConfigureAwait(false);
        var imageIds = containers.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        Directory.CreateDirectory(ociLayout);
        var saved = new List<string>();
        foreach (var id in imageIds)
        {
            var inspect = await _runner.RunAsync(_podman, [.. common, "image", "inspect", "--format", "{{range .RepoTags}}{{.}} {{end}}", id], cancellationToken).ConfigureAwait(false);
            var reference = inspect.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? id;
            _logger.LogInformation("Saving image {Image}", reference);
            await _runner.RunAsync(_podman, [.. common, "push", "--quiet", id, "oci:" + ociLayout + ":" + reference], cancellationToken).ConfigureAwait(false);
            saved.Add(reference);
        }

        return saved;
    }
}
