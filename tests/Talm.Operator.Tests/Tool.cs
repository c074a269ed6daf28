using System.Diagnostics;

namespace Talm.Operator.Tests;

/// <summary>Runs a command-line tool (curl, openssl, kubectl) and returns its exit code and output.</summary>
internal static class Tool
{
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public static async Task<string> CheckedAsync(string file, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary>A self-signed serving certificate for 127.0.0.1 made by openssl, as tls.crt and tls.key in <paramref name="dir"/>.</summary>
    public static Task MakeServingCertificateAsync(string dir, string commonName) =>
        CheckedAsync("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", Path.Combine(dir, "tls.key"), "-out", Path.Combine(dir, "tls.crt"), "-days", "1",
            "-subj", "/CN=" + commonName, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
}
