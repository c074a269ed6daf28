using System.IO.Enumeration;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Talm.Recovery.Platform;

/// <summary>How a path below a <see cref="ConfinedDirectory"/> treats symlinks on the way.</summary>
public enum SymlinkPolicy
{
    /// <summary>A symlink anywhere on the way is refused: inside a restored tree every directory is real.</summary>
    Refuse,

    /// <summary>
    /// Symlinks are followed as the node would follow them with this directory as its '/': an absolute
    /// target starts again at this directory and '..' never climbs above it (so RHCOS's
    /// <c>/usr/local -&gt; ../var/usrlocal</c> works under any host root, and nothing leads outside it).
    /// </summary>
    InRoot,
}

/// <summary>
/// An open directory below which every operation stays. A path given to it is resolved beneath it
/// (<see cref="SymlinkPolicy"/>), and every change is made relative to the open handle of the directory
/// that holds the name (the *at system calls), so a directory renamed, or swapped for a symlink, while
/// the restore works cannot turn a write or a delete towards anything outside.
/// </summary>
/// <remarks>
/// Why this way. openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS resolves a whole relative path in
/// the kernel in one call, refusing '..', absolute paths and symlinks (Linux 5.6; RHCOS 4.12+ has it).
/// Where it is missing or filtered by a seccomp profile, the same walk is done one name at a time with
/// openat(O_NOFOLLOW | O_DIRECTORY), which is as safe, only slower. Following symlinks "in root" is done
/// in our own walk, which never asks the kernel to follow anything. The calls that have no *at form with
/// a no-follow flag (the l*xattr family, lchown, utimensat on a name) are given
/// <c>/proc/self/fd/N/name</c>: the kernel resolves <c>/proc/self/fd/N</c> to the open directory itself,
/// and the l* calls do not follow the final name. chmod always follows, so it first opens the name with
/// O_PATH | O_NOFOLLOW and changes the inode it got (as systemd does).
/// </remarks>
public sealed unsafe partial class ConfinedDirectory : IDisposable
{
    private const int MaxSymlinkHops = 40;

    private static readonly EnumerationOptions NamesOnly = new() { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false };

    private int _fd;

    private ConfinedDirectory(int fd, string path, string relative)
    {
        _fd = fd;
        Path = path;
        Relative = relative;
    }

    /// <summary>False once openat2 turned out to be missing; tests clear it to exercise the name-by-name walk.</summary>
    internal static bool UseOpenat2 { get; set; } = true;

    /// <summary>Where this directory is, for messages (the root's path, then the resolved names below it).</summary>
    public string Path { get; }

    /// <summary>This directory relative to the root it was opened from, resolved: no symlink, no '..' ("" for the root itself).</summary>
    public string Relative { get; }

    /// <summary>Opens <paramref name="path"/> (trusted: given by the engineer) as a root; creates it first if asked.</summary>
    public static ConfinedDirectory Open(string path, bool create = false)
    {
        if (create)
        {
            Directory.CreateDirectory(path);
        }

        var fd = LibC.Openat(LibC.AT_FDCWD, path, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        }

        return new ConfinedDirectory(fd, path.Length > 1 ? path.TrimEnd('/') : path, "");
    }

    /// <summary>lstat of one name in this directory; null when absent.</summary>
    public FileStatus? TryStat(string name)
    {
        CheckName(name);
        return Posix.StatAt(Fd, name, LibC.AT_SYMLINK_NOFOLLOW, Child(name));
    }

    /// <summary>
    /// lstat of a path below this directory in one call, for decisions only: the kernel walks the names
    /// before the last without refusing symlinks, so nothing may be changed on the strength of this alone
    /// (every change goes through <see cref="OpenDirectory"/>, which refuses them). Null when absent.
    /// </summary>
    public FileStatus? TryStatBelow(string relative)
    {
        foreach (var name in relative.Split('/'))
        {
            CheckName(name, relative);
        }

        return Posix.StatAt(Fd, relative, LibC.AT_SYMLINK_NOFOLLOW, Child(relative));
    }

    /// <summary>The status of this directory itself.</summary>
    public FileStatus Stat() => Posix.StatAt(Fd, "", LibC.AT_EMPTY_PATH, Path) ?? throw new NativeException("lstat", Path, NativeException.ENOENT);

    /// <summary>Every name in this directory, hidden ones included.</summary>
    public IReadOnlyList<string> Names() =>
        new FileSystemEnumerable<string>(ProcPath("."), (ref FileSystemEntry e) => e.FileName.ToString(), NamesOnly).ToList();

    public void CreateDirectory(string name, int mode = FileModes.OwnerOnly)
    {
        CheckName(name);
        Check(LibC.Mkdirat(Fd, name, (uint)mode), "mkdir", name);
    }

    public void CreateSymlink(string target, string name)
    {
        CheckName(name);
        Check(LibC.Symlinkat(target, Fd, name), "symlink", name);
    }

    public string ReadLink(string name)
    {
        CheckName(name);
        var buffer = stackalloc byte[4097];
        var length = LibC.Readlinkat(Fd, name, buffer, 4097);
        if (length < 0)
        {
            throw new NativeException("readlink", Child(name), Marshal.GetLastPInvokeError());
        }

        return System.Text.Encoding.UTF8.GetString(buffer, (int)length);
    }

    /// <summary>A new name <paramref name="name"/> here for the file <paramref name="existing"/> in <paramref name="existingDir"/> (never through a symlink).</summary>
    public void CreateHardLink(string name, ConfinedDirectory existingDir, string existing)
    {
        ArgumentNullException.ThrowIfNull(existingDir);
        CheckName(name);
        CheckName(existing);
        if (LibC.Linkat(existingDir.Fd, existing, Fd, name, 0) != 0)
        {
            throw new NativeException("link", Child(name) + " -> " + existingDir.Child(existing), Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>rename(2) within this directory: atomic replacement of <paramref name="to"/>.</summary>
    public void Rename(string from, string to) => Rename(from, this, to);

    public void Rename(string from, ConfinedDirectory toDir, string to)
    {
        ArgumentNullException.ThrowIfNull(toDir);
        CheckName(from);
        CheckName(to);
        if (LibC.Renameat(Fd, from, toDir.Fd, to) != 0)
        {
            throw new NativeException("rename", Child(from) + " -> " + toDir.Child(to), Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Removes a name, a whole directory tree included (never following a symlink); absent is fine.</summary>
    public void Delete(string name) => Delete(name, TryStat(name));

    /// <summary>As <see cref="Delete(string)"/>, with the status the caller already has.</summary>
    public void Delete(string name, FileStatus? status)
    {
        CheckName(name);
        if (status is null)
        {
            return;
        }

        if (status.Kind == FileKind.Directory)
        {
            using (var child = OpenChild(name, create: false))
            {
                foreach (var grandchild in child.Names())
                {
                    child.Delete(grandchild);
                }
            }

            Check(LibC.Unlinkat(Fd, name, LibC.AT_REMOVEDIR), "rmdir", name, ignoreMissing: true);
            return;
        }

        Check(LibC.Unlinkat(Fd, name, 0), "unlink", name, ignoreMissing: true);
    }

    /// <summary>Creates a new file (never an existing name, never through a symlink), open for writing.</summary>
    public SafeFileHandle CreateFile(string name, int mode = FileModes.OwnerReadWrite)
    {
        CheckName(name);
        var fd = LibC.Openat(Fd, name, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, (uint)mode);
        if (fd < 0)
        {
            throw new NativeException("create", Child(name), Marshal.GetLastPInvokeError());
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens a regular file for reading (not a symlink, not a FIFO or device).</summary>
    public SafeFileHandle OpenFile(string name)
    {
        CheckName(name);
        var fd = LibC.Openat(Fd, name, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("open", Child(name), Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Posix.StatAt(fd, "", LibC.AT_EMPTY_PATH, Child(name)) is not { Kind: FileKind.Regular })
        {
            handle.Dispose();
            throw new IOException($"{Child(name)} is not a regular file");
        }

        return handle;
    }

    /// <summary>syncfs(2) of the filesystem holding this directory: everything written to it becomes durable.</summary>
    public void SyncFilesystem() => Check(LibC.Syncfs(Fd), "syncfs", ".");

    /// <summary>A name in this directory as messages show it.</summary>
    public string Child(string name) => name == "." ? Path : Path == "/" ? "/" + name : Path + "/" + name;

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = LibC.Close(fd);
        }
    }

    private int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(Path);

    private string ProcPath(string name) => $"/proc/self/fd/{Fd}/{name}";

    private void Wrapped(string name, Action<string> call)
    {
        if (name != ".")
        {
            CheckName(name);
        }

        try
        {
            call(ProcPath(name));
        }
        catch (NativeException e)
        {
            throw e.At(Child(name));
        }
    }

    private T Wrapped<T>(string name, Func<string, T> call)
    {
        if (name != ".")
        {
            CheckName(name);
        }

        try
        {
            return call(ProcPath(name));
        }
        catch (NativeException e)
        {
            throw e.At(Child(name));
        }
    }

    private ConfinedDirectory Reopen() => OpenAt(".", Path, Relative);

    private ConfinedDirectory OpenAt(string name, string path, string relative)
    {
        var fd = LibC.Openat(Fd, name, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        }

        return new ConfinedDirectory(fd, path, relative);
    }

    private void Check(int result, string call, string name, bool ignoreMissing = false)
    {
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (!(ignoreMissing && errno == NativeException.ENOENT))
            {
                throw new NativeException(call, Child(name), errno);
            }
        }
    }

    private static void CheckName(string name, string? path = null)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new UnsafePathException($"'{path ?? name}' is not a plain relative path (empty, '.' or '..' name, or a NUL); refusing to use it");
        }
    }
}
