using Microsoft.Extensions.Logging;
using Talm.Recovery.Platform;

namespace Talm.Recovery.Ostree;

/// <summary>
/// RHCOS mounts <c>/sysroot</c> read-only, and the backup Job's hostPath volume at <c>/host/sysroot</c>
/// inherits that, so <c>ostree admin pin</c> and <c>undeploy</c> fail with EROFS. Like the reference's
/// agent, this remounts it read-write for as long as it is held, and disposing puts back exactly what
/// was changed. The mount's own flag is changed first (RHCOS's filesystem under /sysroot is writable:
/// <c>/var</c> lives on it); only a filesystem that is itself read-only is remounted as a whole, as the
/// reference always does.
/// </summary>
public sealed class SysrootWriteAccess : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private bool _mountChanged;
    private bool _fileSystemChanged;

    private SysrootWriteAccess(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
    }

    /// <summary>Makes <paramref name="sysroot"/> writable; throws <see cref="IOException"/> saying why when it cannot.</summary>
    public static SysrootWriteAccess Acquire(string sysroot, ILogger logger)
    {
        var access = new SysrootWriteAccess(sysroot, logger);
        if (!Mounts.IsReadOnly(sysroot))
        {
            return access;
        }

        try
        {
            Mounts.RemountMount(sysroot, readOnly: false);
            access._mountChanged = true;
            if (Mounts.IsReadOnly(sysroot))
            {
                Mounts.RemountFileSystem(sysroot, readOnly: false);
                access._fileSystemChanged = true;
            }
        }
        catch (NativeException e)
        {
            access.Dispose();
            throw new IOException(
                $"{sysroot} is read-only and cannot be remounted read-write ({e.Message}); the backup Job's container must be privileged, " +
                $"and {sysroot} must be a mount of its own (the Job's host-sysroot volume)", e);
        }

        logger.LogInformation("Remounted {Sysroot} read-write for the ostree pin and undeploy{How}", sysroot, access._fileSystemChanged ? " (its filesystem was read-only too)" : "");
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
                _logger.LogInformation("Remounted {Sysroot} read-only again, as it was found", _path);
            }
        }
        catch (NativeException e)
        {
            _logger.LogWarning("Could not remount {Sysroot} read-only again: {Error}; remount it read-only by hand (mount -o remount,ro {Sysroot})", _path, e.Message, _path);
        }
    }
}
