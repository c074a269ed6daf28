using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Talm.Cli.Tests;

public sealed partial class LabServeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("talm-lab-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Lab_serve_writes_a_kubeconfig_serves_until_cancelled_and_keeps_data()
    {
        var kubeconfig = Path.Combine(_dir, "kubeconfig");
        var data = Path.Combine(_dir, "data");
        using var cts = new CancellationTokenSource();
        var output = new StringWriter();
        var parse = Program.BuildRoot().Parse(["lab", "serve", "--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig, "--data", data]);
        parse.InvocationConfiguration.Output = output;
        var run = parse.InvokeAsync(cancellationToken: cts.Token);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(kubeconfig) && DateTime.UtcNow < deadline) await Task.Delay(50);
        var server = ServerLine().Match(await File.ReadAllTextAsync(kubeconfig)).Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(server) };
        var version = await http.GetFromJsonAsync<JsonObject>("/version");
        Assert.Equal("1", version!["major"]!.GetValue<string>());
        var ns = await http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/default");
        Assert.Equal("Active", ns!["status"]!["phase"]!.GetValue<string>());

        await cts.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("plain HTTP, loopback only", output.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data, "snapshot.jsonl")));
    }

    [Fact]
    public async Task Lab_serve_refuses_a_non_loopback_address()
    {
        var error = new StringWriter();
        var parse = Program.BuildRoot().Parse(["lab", "serve", "--listen", "0.0.0.0:6443", "--kubeconfig", Path.Combine(_dir, "k")]);
        parse.InvocationConfiguration.Error = error;
        Assert.Equal(2, await parse.InvokeAsync());
        Assert.Contains("loopback", error.ToString(), StringComparison.Ordinal);
    }

    private async Task<(int Code, string Err)> ServeAsync(params string[] extra)
    {
        var error = new StringWriter();
        var parse = Program.BuildRoot().Parse(["lab", "serve", "--listen", "127.0.0.1:0", "--kubeconfig", Path.Combine(_dir, "k"), .. extra]);
        parse.InvocationConfiguration.Error = error;
        parse.InvocationConfiguration.Output = new StringWriter();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var code = await Program.InvokeAsync(parse, cts.Token);
        return (code, error.ToString());
    }

    [Fact]
    public async Task A_damaged_data_directory_is_refused_with_exit_code_1_and_left_as_it_was()
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "snapshot.jsonl"), "{\"rv\":3}\n");
        await File.WriteAllTextAsync(Path.Combine(data, "wal.jsonl"), "{\"rv\":4,\"r\":\"/namespaces\",\"ns\":\"\",\"name\":\"a\"}\nnot a record\n{\"rv\":6}\n");
        var before = await File.ReadAllTextAsync(Path.Combine(data, "wal.jsonl"));
        var (code, err) = await ServeAsync("--data", data);
        Assert.Equal(1, code);
        Assert.StartsWith("talm lab serve: the data directory", err, StringComparison.Ordinal);
        Assert.Contains("wal.jsonl line 2", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(data, "wal.jsonl")));
    }

    [Fact]
    public async Task A_missing_or_malformed_manifest_to_load_is_one_line_and_exit_code_2()
    {
        var (missing, err) = await ServeAsync("--load", Path.Combine(_dir, "absent.yaml"));
        Assert.Equal(2, missing);
        Assert.StartsWith("talm lab serve: cannot load the manifests:", err, StringComparison.Ordinal);
        var garbage = Path.Combine(_dir, "garbage.yaml");
        await File.WriteAllTextAsync(garbage, "kind: [unclosed\n");
        var (malformed, err2) = await ServeAsync("--load", garbage);
        Assert.Equal(2, malformed);
        Assert.StartsWith("talm lab serve: cannot load the manifests:", err2, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err2, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"server: (\S+)")]
    private static partial Regex ServerLine();
}
