using System.Text.Json.Nodes;
using Talm.Api.Json;
using Talm.Operator.Election;

namespace Talm.Operator.Tests;

/// <summary>
/// /metrics as deployed: HTTPS with a serving certificate read from files, callers checked by the
/// lab API server's TokenReview and SubjectAccessReview against the shipped metrics-reader
/// ClusterRole, scraped with real curl; and every alert of the shipped PrometheusRule reads only
/// series that scrape serves.
/// </summary>
public sealed class SecureMetricsTests : IAsyncLifetime
{
    private const string ReaderToken = "reader-token-4d1f";
    private const string OtherToken = "other-token-93ab";

    private readonly string _dir = Directory.CreateTempSubdirectory("talm-metrics-").FullName;
    private Hub _hub = null!;
    private Uri _metrics = null!;

    public async Task InitializeAsync()
    {
        // kube-apiserver's token file format: token,user,uid,"groups".
        var tokens = Path.Combine(_dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, $"{ReaderToken},prometheus,uid-1,\"monitoring\"\n{OtherToken},someone,uid-2\n");
        _hub = await Hub.StartAsync(tokens);
        await _hub.NamespaceAsync("talm-system");
        var kubectl = new[] { "--kubeconfig", _hub.KubeconfigPath };
        await Tool.CheckedAsync("kubectl", [.. kubectl, "apply", "-f", Path.Combine(Hub.RepoRoot, "deploy", "operator", "metrics_reader_role.yaml")]);
        var binding = Path.Combine(_dir, "binding.yaml");
        await File.WriteAllTextAsync(binding, """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: monitoring-reads-metrics
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: talm-operator-metrics-reader}
            subjects:
            - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: monitoring}
            """);
        await Tool.CheckedAsync("kubectl", [.. kubectl, "apply", "-f", binding]);

        var certDir = Directory.CreateDirectory(Path.Combine(_dir, "cert")).FullName;
        await Tool.MakeServingCertificateAsync(certDir, "talm-operator-metrics");
        var election = new LeaderElectionOptions { Namespace = "talm-system", Identity = "op" };
        var op = await _hub.StartOperatorAsync(Hub.Options(election: election) with { MetricsSecure = true, MetricsCertDir = certDir },
            time: TimeProvider.System);
        await Eventually.TrueAsync(() => op.Leading, "leading");
        _metrics = new Uri(op.Probes!.MetricsUrls.Single(), "/metrics");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Status, string Body)> CurlAsync(string? token)
    {
        var body = Path.Combine(_dir, "body-" + Guid.NewGuid().ToString("n"));
        string[] args = ["-sS", "--cacert", Path.Combine(_dir, "cert", "tls.crt"), "-o", body, "-w", "%{http_code}", _metrics.ToString()];
        if (token is not null) args = [.. args, "-H", "Authorization: Bearer " + token];
        var status = int.Parse(await Tool.CheckedAsync("curl", args), System.Globalization.CultureInfo.InvariantCulture);
        return (status, await File.ReadAllTextAsync(body));
    }

    [Fact]
    public async Task Curl_gets_401_without_or_with_an_unknown_token_403_when_not_allowed_and_the_metrics_when_allowed()
    {
        Assert.Equal("https", _metrics.Scheme);
        Assert.Equal(401, (await CurlAsync(null)).Status);
        Assert.Equal(401, (await CurlAsync("not-a-token")).Status);
        var (status, body) = await CurlAsync(OtherToken);
        Assert.Equal(403, status);
        Assert.Contains("someone", body, StringComparison.Ordinal);

        (status, body) = await CurlAsync(ReaderToken);
        Assert.Equal(200, status);
        foreach (var series in new[] { "controller_runtime_reconcile_total{controller=\"clustergroupupgrade\",result=\"success\"}",
                     "workqueue_depth{name=\"clustergroupupgrade\"}", "leader_election_master_status{name=\"talm-operator-leader\"} 1",
                     "talm_build_info{version=", "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_total_memory_bytes" })
        {
            Assert.Contains(series, body, StringComparison.Ordinal);
        }
        // Plain HTTP is not served on the secure port.
        var (code, _, _) = await Tool.RunAsync("curl", "-sS", "-o", "/dev/null", "--max-time", "5", "http://" + _metrics.Authority + "/metrics");
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Every_alert_reads_only_series_the_operator_serves()
    {
        var (status, scrape) = await CurlAsync(ReaderToken);
        Assert.Equal(200, status);
        var exported = PromQl.Exported(scrape);
        var rule = YamlJson.ParseAll(await File.ReadAllTextAsync(Path.Combine(Hub.RepoRoot, "deploy", "operator", "prometheus_rule.yaml")))
            .OfType<JsonObject>().Single();
        var alerts = rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).OfType<JsonObject>().ToList();
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alert in alerts)
        {
            var name = alert["alert"]!.GetValue<string>();
            var names = PromQl.MetricNames(alert["expr"]!.GetValue<string>());
            Assert.True(names.Count > 0, $"{name}: no metric in its expression");
            var missing = names.Where(n => !exported.Contains(n)).ToList();
            Assert.True(missing.Count == 0, $"{name} reads {string.Join(", ", missing)}, which /metrics does not serve");
            Assert.NotNull(alert["labels"]?["severity"]);
            Assert.NotNull(alert["annotations"]?["summary"]);
            read.UnionWith(names);
        }
        // The alerts the issue asks for, by what they watch.
        foreach (var name in new[] { "talm_backup_total", "talm_cgu_events_total", "controller_runtime_reconcile_errors_total",
                     "workqueue_depth", "leader_election_master_status" })
        {
            Assert.Contains(name, read);
        }
        // The check would notice a name the operator does not serve.
        Assert.DoesNotContain("talm_backups_total", exported);
        Assert.Equal(["talm_backups_total"], PromQl.MetricNames("sum by (state) (rate(talm_backups_total{state=\"x\"}[5m])) > 0"));
    }
}
