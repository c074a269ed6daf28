namespace Talm.Testing;

/// <summary>A scratch directory under TMPDIR, removed with everything in it at the end of the test (ostree's immutable deployments included).</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "talm-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    /// <summary>A subdirectory, made if missing.</summary>
    public string Sub(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(full);
        return full;
    }

    /// <summary>A file written from inline text (its directories made).</summary>
    public string Write(string relative, string text)
    {
        var file = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
        return file;
    }

    /// <summary>An executable script written from inline text.</summary>
    public string Script(string relative, string text)
    {
        var file = Write(relative, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return file;
    }

    public void Dispose()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        // ostree marks deployment roots immutable; clear that first or the delete fails half way.
        using (var chattr = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
                   "find", [Path, "-type", "d", "-path", "*/ostree/deploy/*/deploy/*", "-prune", "-exec", "chattr", "-i", "{}", "+"]) { RedirectStandardError = true, RedirectStandardOutput = true }))
        {
            chattr?.WaitForExit();
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a leftover in TMPDIR is not worth failing a test for
        }
    }
}
