using System.Diagnostics;

namespace Talm.Cli.Tests;

/// <summary>
/// Stock kubectl explain against <c>talm lab serve</c>: the server publishes the CRDs' schemas (OpenAPI v3), so
/// kubectl shows our descriptions of nested fields as it would against a real API server.
/// </summary>
public sealed class ExplainTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("talm-explain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Kubectl_explain_shows_our_description_of_nested_fields()
    {
        var kubeconfig = Path.Combine(_dir, "kubeconfig");
        using var cts = new CancellationTokenSource();
        var parse = Program.BuildRoot().Parse(["lab", "serve", "--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig, "--data", Path.Combine(_dir, "data")]);
        parse.InvocationConfiguration.Output = new StringWriter();
        var run = parse.InvokeAsync(cancellationToken: cts.Token);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!File.Exists(kubeconfig) && DateTime.UtcNow < deadline) await Task.Delay(50);

            var (applied, _, applyError) = await KubectlAsync(kubeconfig, "apply", "-f", Path.Combine(AppContext.BaseDirectory, "crds"));
            Assert.True(applied == 0, applyError);

            var (code, output, error) = await KubectlAsync(kubeconfig, "explain", "clustergroupupgrades.spec.remediationStrategy.timeout");
            Assert.True(code == 0, error);
            Assert.Contains("FIELD: timeout <integer>", output, StringComparison.Ordinal);
            Assert.Contains("Minutes the whole rollout may take", output, StringComparison.Ordinal);

            (code, output, error) = await KubectlAsync(kubeconfig, "explain", "cgu.status.backup.status");
            Assert.True(code == 0, error);
            Assert.Contains("Succeeded, BackupTimeout or", output, StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private async Task<(int Code, string Output, string Error)> KubectlAsync(string kubeconfig, params string[] args)
    {
        // A cache of its own each time: what kubectl discovered before the CRDs existed must not hide them.
        var info = new ProcessStartInfo("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", Directory.CreateDirectory(Path.Combine(_dir, "kubectl-cache-" + Guid.NewGuid().ToString("n"))).FullName, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }
}
