namespace Talm.Cli.Tests;

public sealed class OperatorCommandTests
{
    private static async Task<(int Code, string Err)> RunAsync(params string[] args)
    {
        var err = new StringWriter();
        var parse = Program.BuildRoot().Parse(args);
        parse.InvocationConfiguration.Error = err;
        parse.InvocationConfiguration.Output = new StringWriter();
        var code = await Program.InvokeAsync(parse);
        return (code, err.ToString());
    }

    [Fact]
    public async Task A_missing_kubeconfig_names_the_file_and_the_fix()
    {
        var (code, err) = await RunAsync("operator", "--kubeconfig", "/nonexistent/kubeconfig", "--health-bind", "0", "--metrics-bind", "0");
        Assert.Equal(2, code);
        Assert.Contains("cannot use kubeconfig /nonexistent/kubeconfig", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this: is: not: yaml: [\n", "not YAML")]
    [InlineData("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:1\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n" +
                "users:\n- name: u\n  user: {client-certificate-data: Zm9v, client-key-data: YmFy}\ncurrent-context: c\n", "certificate data that is not a certificate")]
    [InlineData("apiVersion: v1\nkind: Config\ncurrent-context: nope\n", "a current context that does not exist")]
    public async Task A_malformed_kubeconfig_is_one_line_and_exit_code_2(string content, string what)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("talm-kubeconfig-").FullName, "kubeconfig");
        await File.WriteAllTextAsync(file, content);
        var (code, err) = await RunAsync("operator", "--kubeconfig", file, "--health-bind", "0", "--metrics-bind", "0");
        Assert.True(code == 2, $"{what}: exit {code}: {err}");
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"talm operator: cannot use kubeconfig {file} (", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_option_the_parser_refuses_is_exit_code_2()
    {
        var (code, err) = await RunAsync("operator", "--no-such-flag");
        Assert.Equal(2, code);
        Assert.Contains("--no-such-flag", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_bind_address_is_refused_before_anything_starts()
    {
        var (code, err) = await RunAsync("operator", "--kubeconfig", "/nonexistent/kubeconfig", "--metrics-bind", "localhost");
        Assert.Equal(2, code);
        Assert.Contains("--metrics-bind", err, StringComparison.Ordinal);
        Assert.Contains(":8080", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metrics_cert_dir_without_the_pair_is_refused_naming_the_file_unless_metrics_are_plain()
    {
        var dir = Directory.CreateTempSubdirectory("talm-certdir-").FullName;
        try
        {
            var (code, err) = await RunAsync("operator", "--kubeconfig", "/nonexistent/kubeconfig", "--metrics-cert-dir", dir);
            Assert.Equal(2, code);
            Assert.Contains(Path.Combine(dir, "tls.crt"), err, StringComparison.Ordinal);
            // With --metrics-secure=false the directory is not read: the next problem is the kubeconfig.
            (code, err) = await RunAsync("operator", "--kubeconfig", "/nonexistent/kubeconfig", "--metrics-secure=false", "--metrics-cert-dir", dir);
            Assert.Equal(2, code);
            Assert.Contains("/nonexistent/kubeconfig", err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public async Task Secure_metrics_on_the_probes_address_is_refused()
    {
        var (code, err) = await RunAsync("operator", "--kubeconfig", "/nonexistent/kubeconfig", "--metrics-bind", "127.0.0.1:9443", "--health-bind", "127.0.0.1:9443");
        Assert.Equal(2, code);
        Assert.Contains("--metrics-secure=false", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_operator_flags()
    {
        var output = new StringWriter();
        var parse = Program.BuildRoot().Parse(["operator", "--help"]);
        parse.InvocationConfiguration.Output = output;
        Assert.Equal(0, await parse.InvokeAsync());
        foreach (var flag in new[] { "--kubeconfig", "--leader-elect", "--metrics-bind", "--metrics-secure", "--metrics-cert-dir", "--health-bind", "--log-level", "--cluster-steps-per-reconcile" })
            Assert.Contains(flag, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_log_level_is_refused_with_the_accepted_ones()
    {
        var error = new StringWriter();
        var parse = Program.BuildRoot().Parse(["operator", "--kubeconfig", "/nonexistent", "--log-level", "chatty"]);
        parse.InvocationConfiguration.Error = error;
        Assert.NotEqual(0, await parse.InvokeAsync());
        Assert.Contains("chatty", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("warning", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zero_cluster_steps_per_reconcile_is_refused_with_the_reason()
    {
        var error = new StringWriter();
        var parse = Program.BuildRoot().Parse(["operator", "--kubeconfig", "/nonexistent", "--cluster-steps-per-reconcile", "0"]);
        parse.InvocationConfiguration.Error = error;
        Assert.Equal(2, await parse.InvokeAsync());
        Assert.Contains("--cluster-steps-per-reconcile must be at least 1", error.ToString(), StringComparison.Ordinal);
    }
}
