namespace Talm.Recovery.Restore.Tests;

public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "talm-restore-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string Sub(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(full);
        return full;
    }

    public void Dispose()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        // ostree marks deployment roots immutable; clear that first or the delete fails half way.
        using (var chattr = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chattr", ["-R", "-f", "-i", Path]) { RedirectStandardError = true, RedirectStandardOutput = true }))
        {
            chattr?.WaitForExit();
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
