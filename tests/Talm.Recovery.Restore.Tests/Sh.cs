using System.Diagnostics;

namespace Talm.Recovery.Restore.Tests;

/// <summary>Runs real tools (ostree, etcdctl, tar) for test setup; fails the test on a non-zero exit.</summary>
public static class Sh
{
    public static string Run(string file, params string[] args) => RunIn(null, file, args);

    public static string RunIn(string? workingDir, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDir is not null)
        {
            start.WorkingDirectory = workingDir;
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var stdout = stdoutTask.Result;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout}");
        }

        return stdout;
    }

    public static string Bash(string script) => Run("/bin/bash", "-euo", "pipefail", "-c", script);
}
