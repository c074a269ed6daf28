using Microsoft.Extensions.Logging;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Ostree;

/// <summary>
/// One read-only mount made read-write for as long as this is held; disposing puts back exactly what was
/// changed. The mount's own flag is changed first (RHCOS's filesystem under /sysroot is writable: <c>/var</c>
/// lives on it); only a filesystem that is itself read-only is remounted as a whole, as the reference always
/// does. See <see cref="OstreeWriteAccess"/> for why.
/// </summary>
public sealed class WritableMount : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private bool _mountChanged;
    private bool _fileSystemChanged;

    private WritableMount(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
    }

    /// <summary>Makes <paramref name="mount"/> writable; throws <see cref="IOException"/> saying why when it cannot.</summary>
    /// <param name="volume">The backup Job's volume that mounts it, named in the error.</param>
    public static WritableMount Acquire(string mount, string volume, ILogger logger)
    {
        var access = new WritableMount(mount, logger);
        if (!Mounts.IsReadOnly(mount))
        {
            return access;
        }

        try
        {
            Mounts.RemountMount(mount, readOnly: false);
            access._mountChanged = true;
            if (Mounts.IsReadOnly(mount))
            {
                Mounts.RemountFileSystem(mount, readOnly: false);
                access._fileSystemChanged = true;
            }
        }
        catch (NativeException e)
        {
            access.Dispose();
            throw new IOException(
                $"{mount} is read-only and cannot be remounted read-write ({e.Message}); the backup Job's container must be privileged, " +
                $"and {mount} must be a mount of its own (the Job's {volume} volume)", e);
        }

        logger.LogInformation("Remounted {Mount} read-write for the ostree pin and undeploy{How}", mount, access._fileSystemChanged ? " (its filesystem was read-only too)" : "");
        return access;
    }

    public void Dispose()
    {
        try
        {
            if (_fileSystemChanged)
            {
                Mounts.RemountFileSystem(_path, readOnly: true);
                _fileSystemChanged = false;
            }

            if (_mountChanged)
            {
                Mounts.RemountMount(_path, readOnly: true);
                _mountChanged = false;
                _logger.LogInformation("Remounted {Mount} read-only again, as it was found", _path);
            }
        }
        catch (NativeException e)
        {
            _logger.LogWarning("Could not remount {Mount} read-only again: {Error}; remount it read-only by hand (mount -o remount,ro {Mount})", _path, e.Message, _path);
        }
    }
}
