using System.Diagnostics;

namespace Talm.KubeApi.Tests.Support;

/// <summary>Runs the stock /usr/bin/kubectl against a server, with its own discovery cache directory.</summary>
internal sealed class Kubectl : IDisposable
{
    private readonly string _kubeconfig;
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("kubectl-cache-").FullName;

    public Kubectl(string kubeconfig) => _kubeconfig = kubeconfig;

    private ProcessStartInfo Info(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("/usr/bin/kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--kubeconfig=" + _kubeconfig);
        info.ArgumentList.Add("--cache-dir=" + _cacheDir);
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    public async Task<(int Code, string Out, string Err)> RunAsync(string? stdin, params string[] args)
    {
        using var p = Process.Start(Info(args))!;
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and fails the test with its stderr when it does not exit 0.</summary>
    public async Task<string> OkAsync(params string[] args) => await OkWithInputAsync(null, args);

    public async Task<string> OkWithInputAsync(string? stdin, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(stdin, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary>Starts a long-running kubectl (get -w, wait) whose output the test reads.</summary>
    public Process Start(params string[] args) => Process.Start(Info(args))!;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_cacheDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
