using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Talm.Api.Cgu;
using Talm.Cli.Commands;
using Talm.KubeApi;

namespace Talm.Cli.Tests;

/// <summary>
/// The agent's summary reaches its Job with the PATCH a spoke's API server takes (the agent's own HTTP call; the
/// test reads back through the real KubernetesClient): the embedded API server serves batch/v1 Jobs here through a
/// definition of the kind (it has no built-in Jobs).
/// </summary>
public sealed class BackupSummaryPublisherTests : IAsyncLifetime
{
    private const string Ns = "openshift-talo-backup";
    private const string JobCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: jobs.batch}
        spec:
          group: batch
          scope: Namespaced
          names: {kind: Job, plural: jobs, singular: job, listKind: JobList}
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("talm-publish-").FullName;
    private KubeApiServer _server = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        var crd = Path.Combine(_dir, "jobs.yaml");
        await File.WriteAllTextAsync(crd, JobCrd);
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ManifestFiles = [crd] });
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "batch/v1", ["kind"] = "Job",
            ["metadata"] = new Dictionary<string, object>
            {
                ["name"] = "backup-agent", ["namespace"] = Ns,
                ["annotations"] = new Dictionary<string, string> { ["target.workload.openshift.io/management"] = "{\"effect\":\"PreferredDuringScheduling\"}" },
            },
            ["spec"] = new Dictionary<string, object> { ["backoffLimit"] = 0 },
        }, "batch", "v1", Ns, "jobs");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static BackupDetails Details() => new()
    {
        Generation = "20261206T101500Z", Bytes = 2_400_000_000, Files = 34311, ReusedFiles = 34002, DurationSeconds = 41.2,
        Phases = new() { ["scan"] = 0.4, ["copy"] = 30.1 }, EtcdRevision = 48211, EtcdSnapshotBytes = 90_000_000,
        OsVersion = "418.94.202502110000-0", Verification = "etcd snapshot SHA-256 trailer verified",
    };

    [Fact]
    public async Task The_summary_is_merged_into_the_Job_annotations_and_reads_back_as_the_same_facts()
    {
        var log = new Lines();
        using var http = new HttpClient();
        await BackupSummaryPublisher.PatchJobAsync(http, _server.Url, null, Ns, BackupSummaryPublisher.JobOfPod("backup-agent-x7k2q"),
            BackupSummaryPublisher.MergePatch(Details()), log, default);

        var job = (JsonElement)await _client.CustomObjects.GetNamespacedCustomObjectAsync("batch", "v1", Ns, "jobs", "backup-agent");
        var annotations = job.GetProperty("metadata").GetProperty("annotations");
        // The reference's own annotation is kept; ours is added.
        Assert.Equal("{\"effect\":\"PreferredDuringScheduling\"}", annotations.GetProperty("target.workload.openshift.io/management").GetString());
        Assert.Equal(Details() with { Phases = null }, BackupDetails.FromAnnotation(annotations.GetProperty(BackupDetails.Annotation).GetString())! with { Phases = null });
        Assert.Contains(log.All, l => l.Contains("Backup summary published on Job openshift-talo-backup/backup-agent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refusal_is_a_warning_not_an_error()
    {
        var log = new Lines();
        using var http = new HttpClient();
        await BackupSummaryPublisher.PatchJobAsync(http, _server.Url, null, Ns, "no-such-job", BackupSummaryPublisher.MergePatch(Details()), log, default);
        Assert.Contains(log.All, l => l.StartsWith("Warning: ", StringComparison.Ordinal) && l.Contains("answered 404", StringComparison.Ordinal));
    }

    [Fact]
    public void Annotations_that_are_not_a_summary_are_ignored_and_phase_names_are_kept_to_labels()
    {
        Assert.Null(BackupDetails.FromAnnotation("not json"));
        Assert.Null(BackupDetails.FromAnnotation(""));
        var d = BackupDetails.FromAnnotation("{\"bytes\":5,\"phases\":{\"copy\":1,\"Bad Name\":2,\"x\\\"y\":3}}")!;
        Assert.Equal(["copy"], d.Phases!.Keys);
        Assert.Equal(BackupDetails.MaxText, BackupDetails.FromAnnotation("{\"osVersion\":\"" + new string('x', 500) + "\"}")!.OsVersion!.Length);
        Assert.Equal("etcd_snapshot_concurrent", BackupDetails.PhaseName("etcd snapshot (concurrent)"));
        Assert.Equal("remove_previous", BackupDetails.PhaseName("remove previous"));
        Assert.Equal("backup-agent", BackupSummaryPublisher.JobOfPod("backup-agent-x7k2q"));
        Assert.Equal("backup-agent", BackupSummaryPublisher.JobOfPod("some-host"));
    }

    private sealed class Lines : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> All
        {
            get { lock (_lines) return [.. _lines]; }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines) _lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
