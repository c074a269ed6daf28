using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Talm.Recovery.Layout;

namespace Talm.Recovery.Tests;

/// <summary>
/// Bad input to the backup agent is one line and exit code 2, before anything is touched; never a stack
/// trace, never exit 1 (which means "insufficient disk space") (issue 13, item 10).
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.CreateAsync();

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private string[] Args(params string[] overrides)
    {
        var args = _host.BackupArgs().ToList();
        for (var i = 0; i < overrides.Length; i += 2)
        {
            var at = args.IndexOf(overrides[i]);
            if (at >= 0)
            {
                args[at + 1] = overrides[i + 1];
            }
            else
            {
                args.AddRange([overrides[i], overrides[i + 1]]);
            }
        }

        return ["launchBackup", .. args];
    }

    private async Task AssertRefusedAsync(string[] args, string expected)
    {
        var (code, output, error) = await TestHost.RunCliAsync(args);

        Assert.True(code == 2, $"exit {code}: {error}{output}");
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // Refused before anything was done: no backup, and the ostree deployments not touched.
        Assert.Null(new BackupDirectory(_host.BackupDir).CurrentRoot());
        Assert.Equal(2, (await new Ostree.OstreeCli(new Processes.ProcessRunner(), _host.Root).StatusAsync()).Count);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:2379")]
    [InlineData("unix:///run/etcd.sock")]
    [InlineData("localhost:2379")]
    public Task An_etcd_endpoint_that_is_not_http_or_https_is_refused(string endpoint) =>
        AssertRefusedAsync(Args("--etcd-endpoint", endpoint), "http:// or https://");

    [Fact]
    public async Task Garbage_or_mismatched_tls_files_are_refused()
    {
        var garbage = Path.Combine(_host.Work, "garbage.pem");
        await File.WriteAllTextAsync(garbage, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
        var (certA, keyA) = await WriteCertAsync("a");
        var (_, keyB) = await WriteCertAsync("b");
        var https = _host.Etcd.ClientUrl.ToString().Replace("http://", "https://", StringComparison.Ordinal);

        await AssertRefusedAsync(Args("--etcd-endpoint", https, "--etcd-cacert", garbage), "garbage.pem");
        await AssertRefusedAsync(Args("--etcd-endpoint", https, "--etcd-cacert", certA, "--etcd-cert", certA, "--etcd-key", keyB), "do not belong together");
        await AssertRefusedAsync(Args("--etcd-endpoint", https, "--etcd-cert", certA), "--etcd-key");
        await AssertRefusedAsync(Args("--etcd-endpoint", https, "--etcd-cacert", Path.Combine(_host.Work, "missing.pem")), "missing.pem");
        _ = keyA;
    }

    [Fact]
    public Task A_host_root_that_does_not_exist_is_refused_at_once() =>
        AssertRefusedAsync(Args("--host-root", "/nonexistent"), "--host-root /nonexistent");

    [Fact]
    public async Task A_space_margin_too_large_to_add_keeps_the_space_check()
    {
        var (code, _, error) = await TestHost.RunCliAsync(Args("--space-margin", "9223372036854775807"));

        Assert.True(code == 1, $"exit {code}: {error}");
        Assert.Contains("insufficient disk space to trigger backup", error, StringComparison.Ordinal);
        Assert.Null(new BackupDirectory(_host.BackupDir).CurrentRoot());

        await AssertRefusedAsync(Args("--space-margin", "9223372036854775808"), "--space-margin");
        await AssertRefusedAsync(Args("--space-margin", "9000PiB"), "--space-margin");
    }

    [Fact]
    public Task An_unknown_option_is_a_usage_error_not_a_space_shortage() =>
        AssertRefusedAsync([.. Args(), "--no-such-option"], "--no-such-option");

    private async Task<(string Cert, string Key)> WriteCertAsync(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_host.Work, name + ".crt");
        var keyPath = Path.Combine(_host.Work, name + ".key");
        await File.WriteAllTextAsync(certPath, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
