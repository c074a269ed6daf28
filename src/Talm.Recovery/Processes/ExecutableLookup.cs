using Talm.Recovery.Platform;

namespace Talm.Recovery.Processes;

/// <summary>
/// Finds a program named without a slash in the directories of PATH only, as <c>execvp</c> does.
/// .NET's own lookup tries the application's directory and the working directory before PATH: the
/// agent runs as root, and a file called <c>ostree</c> or <c>tar</c> wherever it was started from
/// must not run in place of the node's.
/// </summary>
public static class ExecutableLookup
{
    /// <summary>
    /// The program's path: <paramref name="program"/> itself when it names a path, else the first
    /// executable file of that name on <paramref name="searchPath"/>; null when there is none.
    /// Empty entries of PATH (the working directory, to a shell) are skipped.
    /// </summary>
    public static string? Find(string program, string? searchPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return program;
        }

        foreach (var directory in (searchPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>PATH as a child started with <paramref name="environment"/> (overrides, null to remove) would see it.</summary>
    public static string? SearchPathFor(IEnumerable<KeyValuePair<string, string?>>? environment)
    {
        foreach (var (key, value) in environment ?? [])
        {
            if (key == "PATH")
            {
                return value;
            }
        }

        return Environment.GetEnvironmentVariable("PATH");
    }

    /// <summary>The sentence for a program that is not on PATH.</summary>
    public static string NotFound(string program, string? searchPath) =>
        $"{program} is not on PATH ({(string.IsNullOrEmpty(searchPath) ? "PATH is empty" : searchPath)}); install it or put its directory on PATH";

    // stat(2), symlinks followed: /usr/bin/ostree may be a link. A directory on PATH this user may not
    // search, or a dangling or looping link, is not a match (execvp goes on to the next directory too).
    private static bool IsExecutableFile(string path)
    {
        try
        {
            return Posix.StatAt(LibC.AT_FDCWD, path, 0, path) is { } status
                && (status.Mode & 0xF000) == 0x8000
                && (status.Mode & 0b001_001_001) != 0;
        }
        catch (NativeException)
        {
            return false;
        }
    }
}
