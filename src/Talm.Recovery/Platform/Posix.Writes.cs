using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Talm.Recovery.Platform;

/// <summary>Writing file data fast and durably: early writeback, direct I/O, clones and in-kernel copies.</summary>
public static unsafe partial class Posix
{
    /// <summary>
    /// Starts writeback of a range of a file's dirty pages without waiting for it to complete
    /// (sync_file_range WRITE), so the disk works while the next files are copied and the final
    /// syncfs has little left to do. It makes nothing durable by itself. Returns false when the
    /// call failed (the data is still written by the final sync).
    /// </summary>
    public static bool StartWriteback(SafeFileHandle file, long offset = 0, long length = 0)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return LibC.SyncFileRange(file.DangerousGetHandle(), offset, length, 2 /* SYNC_FILE_RANGE_WRITE */) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Creates a new file (mode 0600) opened for writes that bypass the page cache (O_DIRECT): the
    /// data goes from the caller's buffer to the disk without being copied into freshly allocated
    /// cache pages, and leaves nothing dirty for the final sync but the metadata. Null when the
    /// filesystem refuses O_DIRECT (EINVAL). Writes need block-aligned buffers, offsets and lengths
    /// until <see cref="EndDirectWrites"/>.
    /// </summary>
    public static SafeFileHandle? TryCreateDirect(string path)
    {
        var fd = LibC.OpenCreate(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_DIRECT | LibC.O_CLOEXEC, FileModes.OwnerReadWrite);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == NativeException.EINVAL)
        {
            // Linux creates the file before it finds that the filesystem has no O_DIRECT (ramfs,
            // some FUSE): O_EXCL means the file is ours, so remove it for the caller's fallback.
            _ = LibC.Unlink(path);
            return null;
        }

        throw new NativeException("open O_DIRECT", path, errno);
    }

    /// <summary>Turns O_DIRECT off on an open file, so that an unaligned tail can be written through the cache.</summary>
    public static void EndDirectWrites(SafeFileHandle file)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var fd = file.DangerousGetHandle();
            var flags = LibC.Fcntl(fd, LibC.F_GETFL, 0);
            if (flags < 0 || LibC.Fcntl(fd, LibC.F_SETFL, flags & ~LibC.O_DIRECT) != 0)
            {
                throw new NativeException("fcntl F_SETFL", "fd " + fd, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Makes <paramref name="destination"/> share <paramref name="source"/>'s blocks (FICLONE); false when the filesystem cannot.</summary>
    public static bool TryClone(SafeFileHandle source, SafeFileHandle destination)
    {
        var added = false;
        var addedDest = false;
        try
        {
            source.DangerousAddRef(ref added);
            destination.DangerousAddRef(ref addedDest);
            return LibC.Ioctl(destination.DangerousGetHandle(), LibC.FICLONE, source.DangerousGetHandle()) == 0;
        }
        finally
        {
            if (added)
            {
                source.DangerousRelease();
            }

            if (addedDest)
            {
                destination.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Copies all of <paramref name="source"/> into the empty <paramref name="destination"/>: a clone where
    /// the filesystem shares blocks, else copy_file_range (in the kernel), else read and write.
    /// </summary>
    public static void CopyContent(SafeFileHandle source, SafeFileHandle destination, string display)
    {
        if (TryClone(source, destination))
        {
            return;
        }

        var added = false;
        var addedDest = false;
        try
        {
            source.DangerousAddRef(ref added);
            destination.DangerousAddRef(ref addedDest);
            var copied = false;
            while (true)
            {
                var n = LibC.CopyFileRange(source.DangerousGetHandle(), null, destination.DangerousGetHandle(), null, 1 << 30, 0);
                if (n > 0)
                {
                    copied = true;
                    continue;
                }

                if (n == 0)
                {
                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (copied || errno is not (NativeException.EXDEV or NativeException.EINVAL or NativeException.ENOSYS or NativeException.EOPNOTSUPP or NativeException.EPERM))
                {
                    throw new NativeException("copy_file_range", display, errno);
                }

                break;
            }
        }
        finally
        {
            if (added)
            {
                source.DangerousRelease();
            }

            if (addedDest)
            {
                destination.DangerousRelease();
            }
        }

        // No in-kernel copy between these two (different filesystem types, an old kernel): through a buffer.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(source, buffer, offset)) > 0)
            {
                RandomAccess.Write(destination, buffer.AsSpan(0, read), offset);
                offset += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
