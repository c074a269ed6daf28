using System.Runtime.InteropServices;

namespace Talm.Recovery.Platform;

/// <summary>How paths below a <see cref="ConfinedDirectory"/> are resolved (see its remarks for why this way).</summary>
public sealed unsafe partial class ConfinedDirectory
{
    /// <summary>The directory at <paramref name="relative"/> below this one, opened (and created, with its missing parents, if asked).</summary>
    public ConfinedDirectory OpenDirectory(string relative, SymlinkPolicy policy = SymlinkPolicy.Refuse, bool create = false)
    {
        ArgumentNullException.ThrowIfNull(relative);
        if (policy == SymlinkPolicy.InRoot)
        {
            return WalkInRoot(relative, create);
        }

        var names = relative.Length == 0 ? [] : relative.Split('/');
        foreach (var name in names)
        {
            CheckName(name, relative);
        }

        if (names.Length > 1 && !create && UseOpenat2 && TryOpenat2(relative) is { } direct)
        {
            return direct;
        }

        var current = Reopen();
        try
        {
            foreach (var name in names)
            {
                var next = current.OpenChild(name, create);
                current.Dispose();
                current = next;
            }

            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The content of the file at <paramref name="relative"/>, every symlink on the way (the last one
    /// included) followed as the node would with this directory as '/'; null when it is not there or is not
    /// a regular file. Refuses files larger than <paramref name="maxBytes"/>.
    /// </summary>
    public byte[]? TryReadFileInRoot(string relative, int maxBytes)
    {
        for (var hops = 0; hops <= MaxSymlinkHops; hops++)
        {
            var slash = relative.TrimEnd('/').LastIndexOf('/');
            var parent = slash < 0 ? "" : relative[..slash];
            var name = relative[(slash + 1)..];
            if (name is "" or "." or "..")
            {
                return null;
            }

            ConfinedDirectory dir;
            try
            {
                dir = OpenDirectory(parent, SymlinkPolicy.InRoot);
            }
            catch (NativeException e) when (e.Errno is NativeException.ENOENT or NativeException.ENOTDIR)
            {
                return null;
            }

            using (dir)
            {
                var status = dir.TryStat(name);
                switch (status?.Kind)
                {
                    case FileKind.Symlink:
                        var target = dir.ReadLink(name);
                        relative = target.StartsWith('/') || dir.Relative.Length == 0 ? target : dir.Relative + "/" + target;
                        continue;
                    case FileKind.Regular when status.Size <= maxBytes:
                        using (var handle = dir.OpenFile(name))
                        {
                            var buffer = new byte[status.Size];
                            var read = RandomAccess.Read(handle, buffer, 0);
                            return buffer[..read];
                        }

                    case FileKind.Regular:
                        throw new IOException($"{dir.Child(name)} is larger than {maxBytes} bytes");
                    default:
                        return null;
                }
            }
        }

        throw new NativeException("resolve", Child(relative), NativeException.ELOOP);
    }

    /// <summary>One directory below this one, never through a symlink.</summary>
    private ConfinedDirectory OpenChild(string name, bool create)
    {
        var relative = Relative.Length == 0 ? name : Relative + "/" + name;
        var fd = LibC.Openat(Fd, name, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        var errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (fd < 0 && errno == NativeException.ENOENT && create)
        {
            if (LibC.Mkdirat(Fd, name, FileModes.Executable) != 0 && Marshal.GetLastPInvokeError() is var mkdirErrno && mkdirErrno != NativeException.EEXIST)
            {
                throw new NativeException("mkdir", Child(name), mkdirErrno);
            }

            fd = LibC.Openat(Fd, name, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }

        if (fd >= 0)
        {
            return new ConfinedDirectory(fd, Child(name), relative);
        }

        if (errno is NativeException.ENOTDIR or NativeException.ELOOP && TryStat(name) is { Kind: FileKind.Symlink })
        {
            throw new SymlinkRefusedException(Child(name));
        }

        throw new NativeException("open", Child(name), errno);
    }

    private ConfinedDirectory? TryOpenat2(string relative)
    {
        var how = new LibC.OpenHow
        {
            Flags = (ulong)(LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC),
            Resolve = LibC.RESOLVE_BENEATH | LibC.RESOLVE_NO_SYMLINKS | LibC.RESOLVE_NO_MAGICLINKS,
        };
        var fd = LibC.Openat2(LibC.SYS_openat2, Fd, relative, &how, (nuint)sizeof(LibC.OpenHow));
        if (fd >= 0)
        {
            return new ConfinedDirectory(fd, Path == "/" ? "/" + relative : Path + "/" + relative, Relative.Length == 0 ? relative : Relative + "/" + relative);
        }

        if (Marshal.GetLastPInvokeError() is NativeException.ENOSYS or NativeException.EPERM)
        {
            UseOpenat2 = false;
        }

        // Refused or failed: the walk fails the same way and names the component at fault.
        return null;
    }

    /// <summary>Resolves <paramref name="relative"/> as the node would with this directory as '/', one name at a time.</summary>
    private ConfinedDirectory WalkInRoot(string relative, bool create)
    {
        var stack = new List<ConfinedDirectory> { Reopen() };
        var pending = new LinkedList<string>(relative.Split('/'));
        var hops = 0;
        try
        {
            while (pending.First is { } first)
            {
                var name = first.Value;
                pending.RemoveFirst();
                if (name is "" or ".")
                {
                    continue;
                }

                if (name == "..")
                {
                    if (stack.Count > 1)
                    {
                        stack[^1].Dispose();
                        stack.RemoveAt(stack.Count - 1);
                    }

                    continue;
                }

                CheckName(name, relative);
                var top = stack[^1];
                if (top.TryStat(name) is { Kind: FileKind.Symlink })
                {
                    if (++hops > MaxSymlinkHops)
                    {
                        throw new NativeException("resolve", Child(relative), NativeException.ELOOP);
                    }

                    var target = top.ReadLink(name);
                    if (target.StartsWith('/'))
                    {
                        for (var i = stack.Count - 1; i > 0; i--)
                        {
                            stack[i].Dispose();
                            stack.RemoveAt(i);
                        }
                    }

                    var parts = target.Split('/');
                    for (var i = parts.Length - 1; i >= 0; i--)
                    {
                        pending.AddFirst(parts[i]);
                    }

                    continue;
                }

                // A symlink swapped in after the check above is refused here, never followed.
                stack.Add(top.OpenChild(name, create));
            }

            var result = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return result;
        }
        finally
        {
            foreach (var directory in stack)
            {
                directory.Dispose();
            }
        }
    }
}
