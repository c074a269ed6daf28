using Microsoft.Extensions.Logging;
using Talm.Recovery.Host;

namespace Talm.Recovery.Ostree;

/// <summary>
/// ostree finds its repository under its sysroot as <c>ostree/</c>. On a node the root holds a link
/// <c>/ostree -> sysroot/ostree</c>; in the backup Job's pod, <c>/host</c> is an emptyDir with the node's
/// directories mounted into it, so the link is missing and is made there (in the pod's own directory, as
/// the reference's agent does before it runs ostree in its chroot).
/// </summary>
public static class OstreeSysrootLink
{
    public const string Target = "sysroot/ostree";

    /// <summary>Makes <c>ostree</c> under the host root lead to the sysroot's, unless something is already there.</summary>
    public static void Ensure(HostPaths host, ILogger logger)
    {
        var link = host.Combine("ostree");
        if (Path.Exists(link) || new FileInfo(link).LinkTarget is not null)
        {
            return;
        }

        try
        {
            File.CreateSymbolicLink(link, Target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"ostree cannot find its repository: {link} is missing and could not be made a link to {Target} ({e.Message})", e);
        }

        logger.LogInformation("Linked {Link} to {Target}, as on the node, so that ostree finds its repository", link, Target);
    }
}
