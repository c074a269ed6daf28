using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Talm.Api.Build;
using Talm.Operator.Hosting;
using Talm.Operator.Metrics;
using Talm.Operator.Queue;

namespace Talm.Operator.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Renders_controller_runtime_and_workqueue_metrics_in_text_format()
    {
        var metrics = new ControllerMetrics();
        var clock = new FakeTimeProvider();
        using var queue = new WorkQueue("clustergroupupgrade", clock, metrics: metrics.Queue);
        queue.Add("a");
        queue.Add("b");
        queue.Add("b");
        clock.Advance(TimeSpan.FromMilliseconds(50));
        var key = await queue.GetAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(2));
        queue.Done(key!);
        metrics.Reconciled("success", TimeSpan.FromMilliseconds(30));
        metrics.Reconciled("error", TimeSpan.FromSeconds(2));
        metrics.Reconciled("success", TimeSpan.FromMilliseconds(70));
        metrics.BackupFinished("Succeeded");
        metrics.BackupFinished("Succeeded");
        metrics.BackupFinished("BackupTimeout");
        metrics.SetMaxWorkers(4);

        var text = metrics.Render();

        Assert.Contains("# TYPE controller_runtime_reconcile_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_total{controller=\"clustergroupupgrade\",result=\"success\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_total{controller=\"clustergroupupgrade\",result=\"error\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_errors_total{controller=\"clustergroupupgrade\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE controller_runtime_reconcile_time_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_time_seconds_bucket{controller=\"clustergroupupgrade\",le=\"0.05\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_time_seconds_bucket{controller=\"clustergroupupgrade\",le=\"0.1\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_time_seconds_bucket{controller=\"clustergroupupgrade\",le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_reconcile_time_seconds_count{controller=\"clustergroupupgrade\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("controller_runtime_max_concurrent_reconciles{controller=\"clustergroupupgrade\"} 4\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE workqueue_depth gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("workqueue_depth{name=\"clustergroupupgrade\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("workqueue_adds_total{name=\"clustergroupupgrade\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("workqueue_work_duration_seconds_sum{name=\"clustergroupupgrade\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("workqueue_queue_duration_seconds_count{name=\"clustergroupupgrade\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("talm_backup_total{state=\"Succeeded\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("talm_backup_total{state=\"BackupTimeout\"} 1\n", text, StringComparison.Ordinal);

        // Gauges are read afresh at every scrape.
        _ = await queue.GetAsync(CancellationToken.None);
        Assert.Contains("workqueue_depth{name=\"clustergroupupgrade\"} 0\n", metrics.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_serving_certificate_is_read_again_when_its_files_change_and_kept_when_they_are_broken()
    {
        var dir = Directory.CreateTempSubdirectory("talm-cert-").FullName;
        try
        {
            await Tool.MakeServingCertificateAsync(dir, "first");
            var clock = new FakeTimeProvider();
            var cert = ServingCertificate.FromDirectory(dir, clock, NullLogger.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal("CN=first", cert.Current.Subject);
            Assert.True(cert.Current.HasPrivateKey);

            // The service CA rotates the Secret: the new pair is served once the check interval has passed.
            await Tool.MakeServingCertificateAsync(dir, "second");
            Assert.Equal("CN=first", cert.Current.Subject);
            clock.Advance(TimeSpan.FromSeconds(11));
            Assert.Equal("CN=second", cert.Current.Subject);

            // A half-written pair is not served; the last good one is.
            await File.WriteAllTextAsync(Path.Combine(dir, "tls.key"), "not a key");
            clock.Advance(TimeSpan.FromSeconds(11));
            Assert.Equal("CN=second", cert.Current.Subject);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Build_info_carries_the_version_talm_reports()
    {
        var metrics = new ControllerMetrics(new BuildVersion("1.4.0", null));
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text);
        Assert.Contains("talm_build_info{version=\"1.4.0\",commit=\"unknown\"} 1", System.Text.Encoding.UTF8.GetString(text.ToArray()), StringComparison.Ordinal);
    }
}
