using Microsoft.Extensions.Logging;
using Talm.Recovery.Host;

namespace Talm.Recovery.Ostree;

/// <summary>
/// <c>ostree admin pin</c> writes under <c>/sysroot</c> and <c>undeploy</c> also rewrites the bootloader
/// entries on <c>/boot</c>. RHCOS mounts both read-only, and the backup Job's hostPath volumes at
/// <c>/host/sysroot</c> and <c>/host/boot</c> (the latter <c>readOnly: true</c> in the Job itself) inherit
/// that, so both fail with EROFS. Like the reference's agent, both are made writable for the pin and
/// undeploy, and put back as found afterwards. A directory that is not a read-only mount is left alone.
/// </summary>
public sealed class OstreeWriteAccess : IDisposable
{
    private readonly List<WritableMount> _mounts = [];

    private OstreeWriteAccess()
    {
    }

    public static OstreeWriteAccess Acquire(HostPaths host, ILogger logger)
    {
        var access = new OstreeWriteAccess();
        try
        {
            foreach (var (path, volume) in (ReadOnlySpan<(string, string)>)[(host.Sysroot, "host-sysroot"), (host.Boot, "host-boot")])
            {
                if (Directory.Exists(path))
                {
                    access._mounts.Add(WritableMount.Acquire(path, volume, logger));
                }
            }
        }
        catch
        {
            access.Dispose();
            throw;
        }

        return access;
    }

    public void Dispose()
    {
        for (var i = _mounts.Count - 1; i >= 0; i--)
        {
            _mounts[i].Dispose();
        }

        _mounts.Clear();
    }
}
