using System.Runtime.InteropServices;

namespace Talm.Recovery.Ostree;

/// <summary>
/// A loaded libostree sysroot (e.g. <c>/sysroot</c> or a sandbox's). Reads the deployment list and
/// writes a new one; the caller holds the sysroot lock for writes.
/// </summary>
public sealed class OstreeSysroot : IDisposable
{
    private IntPtr _sysroot;
    private bool _locked;

    private OstreeSysroot(IntPtr sysroot, string path)
    {
        _sysroot = sysroot;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens and loads the sysroot at <paramref name="path"/>; throws <see cref="OstreeException"/> with libostree's reason.</summary>
    public static OstreeSysroot Open(string path)
    {
        if (!Directory.Exists(System.IO.Path.Combine(path, "ostree", "deploy")))
        {
            throw new OstreeException($"no ostree sysroot at {path} (no ostree/deploy there, nor a link ostree -> sysroot/ostree as a node has); check --host-root");
        }

        var file = OstreeNative.GFileNewForPath(path);
        var sysroot = OstreeNative.SysrootNew(file);
        OstreeNative.GObjectUnref(file);
        var result = new OstreeSysroot(sysroot, path);
        try
        {
            if (OstreeNative.SysrootLoad(sysroot, IntPtr.Zero, out var error) == 0)
            {
                throw new OstreeException($"cannot load ostree sysroot {path}: {OstreeNative.TakeError(error)}");
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }

        return result;
    }

    /// <summary>Takes the sysroot lock (as <c>ostree admin</c> does) so no other writer interleaves.</summary>
    public void Lock()
    {
        if (OstreeNative.SysrootLock(_sysroot, out var error) == 0)
        {
            throw new OstreeException($"cannot lock ostree sysroot {Path}: {OstreeNative.TakeError(error)}");
        }

        _locked = true;

        // The list may have changed between load and lock.
        if (OstreeNative.SysrootLoad(_sysroot, IntPtr.Zero, out var loadError) == 0)
        {
            throw new OstreeException($"cannot reload ostree sysroot {Path}: {OstreeNative.TakeError(loadError)}");
        }
    }

    public IReadOnlyList<OstreeDeployment> Deployments()
    {
        var booted = OstreeNative.SysrootGetBootedDeployment(_sysroot);
        var array = OstreeNative.SysrootGetDeployments(_sysroot);
        try
        {
            var items = OstreeNative.PtrArrayItems(array);
            var result = new List<OstreeDeployment>(items.Length);
            for (var i = 0; i < items.Length; i++)
            {
                var d = items[i];
                var csum = Marshal.PtrToStringUTF8(OstreeNative.DeploymentGetCsum(d)) ?? "";
                result.Add(new OstreeDeployment
                {
                    Index = i,
                    OsName = Marshal.PtrToStringUTF8(OstreeNative.DeploymentGetOsname(d)) ?? "",
                    Checksum = csum,
                    Serial = OstreeNative.DeploymentGetDeployserial(d),
                    Pinned = OstreeNative.DeploymentIsPinned(d) != 0,
                    Booted = booted != IntPtr.Zero && OstreeNative.DeploymentEqual(d, booted) != 0,
                    Version = CommitVersion(csum),
                });
            }

            return result;
        }
        finally
        {
            OstreeNative.GPtrArrayUnref(array);
        }
    }

    /// <summary>
    /// Writes the deployments in the given order (by <see cref="OstreeDeployment.Id"/>); deployments
    /// left out are undeployed, then unused objects and boot files are cleaned up.
    /// </summary>
    public void WriteDeployments(IReadOnlyList<string> orderedNames)
    {
        if (!_locked)
        {
            throw new InvalidOperationException("Lock() the sysroot before writing deployments");
        }

        var current = OstreeNative.SysrootGetDeployments(_sysroot);
        var newList = OstreeNative.GPtrArrayNew();
        try
        {
            var byName = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
            foreach (var d in OstreeNative.PtrArrayItems(current))
            {
                var csum = Marshal.PtrToStringUTF8(OstreeNative.DeploymentGetCsum(d)) ?? "";
                byName[$"{csum}.{OstreeNative.DeploymentGetDeployserial(d)}"] = d;
            }

            foreach (var name in orderedNames)
            {
                if (!byName.TryGetValue(name, out var d))
                {
                    throw new OstreeException($"deployment {name} is not in {Path} any more; run the command again");
                }

                OstreeNative.GPtrArrayAdd(newList, d);
            }

            if (OstreeNative.SysrootWriteDeployments(_sysroot, newList, IntPtr.Zero, out var error) == 0)
            {
                throw new OstreeException($"writing the deployment list of {Path} failed: {OstreeNative.TakeError(error)}");
            }
        }
        finally
        {
            // The new array holds no references of its own (no free func), the current one owns them.
            OstreeNative.GPtrArrayUnref(newList);
            OstreeNative.GPtrArrayUnref(current);
        }

        if (OstreeNative.SysrootCleanup(_sysroot, IntPtr.Zero, out var cleanupError) == 0)
        {
            throw new OstreeException($"the new default is written but cleaning up {Path} failed: {OstreeNative.TakeError(cleanupError)}");
        }
    }

    private string? CommitVersion(string checksum)
    {
        if (OstreeNative.SysrootGetRepo(_sysroot, out var repo, IntPtr.Zero, out var repoError) == 0)
        {
            OstreeNative.TakeError(repoError);
            return null;
        }

        var csum = Marshal.StringToCoTaskMemUTF8(checksum);
        var stringType = Marshal.StringToCoTaskMemUTF8("s");
        try
        {
            if (OstreeNative.RepoLoadVariant(repo, OstreeNative.ObjectTypeCommit, csum, out var commit, out var error) == 0)
            {
                OstreeNative.TakeError(error);
                return null;
            }

            // A commit is (a{sv} metadata, ...); the version is metadata["version"].
            var metadata = OstreeNative.GVariantGetChildValue(commit, 0);
            var value = OstreeNative.GVariantLookupValue(metadata, "version", stringType);
            string? version = null;
            if (value != IntPtr.Zero)
            {
                version = Marshal.PtrToStringUTF8(OstreeNative.GVariantGetString(value, IntPtr.Zero));
                OstreeNative.GVariantUnref(value);
            }

            OstreeNative.GVariantUnref(metadata);
            OstreeNative.GVariantUnref(commit);
            return version;
        }
        finally
        {
            Marshal.FreeCoTaskMem(csum);
            Marshal.FreeCoTaskMem(stringType);
            OstreeNative.GObjectUnref(repo);
        }
    }

    public void Dispose()
    {
        if (_locked)
        {
            OstreeNative.SysrootUnlock(_sysroot);
            _locked = false;
        }

        if (_sysroot != IntPtr.Zero)
        {
            OstreeNative.GObjectUnref(_sysroot);
            _sysroot = IntPtr.Zero;
        }
    }
}

public sealed class OstreeException(string message) : Exception(message);
