using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;
using Talm.Recovery.Backup;

namespace Talm.Cli.Commands;

/// <summary>
/// The backup Job's agent tells the hub what it backed up: a summary (<see cref="BackupDetails"/>) merged
/// into its own Job's annotations through the spoke's API server with the pod's service account (the
/// reference's backup-agent account is bound to cluster-admin by <c>backup-crb-create</c>, so it may patch
/// its Job), where the hub's <c>view-backup-job</c> picks it up. Publishing is best effort: any failure is
/// one warning line and never fails the backup. One PATCH over HttpClient (no Kubernetes client library:
/// the agent is trimmed, and this is all it asks of the API server).
/// </summary>
public static class BackupSummaryPublisher
{
    /// <summary>The reference's backup Job, when the pod's host name does not say.</summary>
    public const string DefaultJob = SpokeNames.BackupAgent;

    /// <summary>Where a kubelet mounts the pod's service account (token, ca.crt, namespace).</summary>
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The facts of a completed backup.</summary>
    public static BackupDetails Summarize(BackupOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var manifest = outcome.Manifest ?? throw new ArgumentException("a completed backup has a manifest", nameof(outcome));
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (title, elapsed) in outcome.Phases)
        {
            var name = BackupDetails.PhaseName(title);
            if (BackupDetails.IsPhaseName(name) && (phases.ContainsKey(name) || phases.Count < BackupDetails.MaxPhases))
                phases[name] = Math.Round(phases.GetValueOrDefault(name) + elapsed.TotalSeconds, 3);
        }
        var snapshot = manifest.Entries.FirstOrDefault(e => e.Path == manifest.Etcd.SnapshotFile);
        return new BackupDetails
        {
            Generation = outcome.GenerationRoot is { } root ? Path.GetFileName(root) : null,
            Bytes = manifest.Totals.Bytes,
            Files = manifest.Totals.Files,
            ReusedFiles = manifest.Totals.ReusedFiles,
            DurationSeconds = Math.Round(manifest.Totals.DurationSeconds, 3),
            Phases = phases.Count > 0 ? phases : null,
            EtcdRevision = manifest.Etcd.Revision,
            EtcdSnapshotBytes = snapshot?.Size,
            OsVersion = manifest.Ostree?.Version,
            // The runner commits nothing whose snapshot trailer did not verify.
            Verification = "etcd snapshot SHA-256 trailer verified",
            CompletedAt = manifest.CompletedAt,
        };
    }

    /// <summary>The JSON merge patch that puts the summary on the Job.</summary>
    public static string MergePatch(BackupDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [BackupDetails.Annotation] = details.ToAnnotation() } },
        }.ToJsonString();
    }

    /// <summary>Publishes where this pod can: the lab's patch file, else the API server of the cluster it runs in; elsewhere nothing.</summary>
    public static async Task PublishAsync(BackupDetails details, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            var patch = MergePatch(details);
            if (Environment.GetEnvironmentVariable(BackupDetails.LabPatchFileVariable) is { Length: > 0 } file)
            {
                var partial = file + ".partial";
                await File.WriteAllTextAsync(partial, patch, ct).ConfigureAwait(false);
                File.Move(partial, file, overwrite: true);
                log.LogInformation("Backup summary written for the Job to {File}", file);
                return;
            }
            var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            var tokenFile = Path.Combine(ServiceAccountDir, "token");
            if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !File.Exists(tokenFile))
            {
                log.LogDebug("Not in a pod with a service account: the backup summary stays in the manifest");
                return;
            }
            var server = new Uri($"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
            var token = (await File.ReadAllTextAsync(tokenFile, ct).ConfigureAwait(false)).Trim();
            var nsFile = Path.Combine(ServiceAccountDir, "namespace");
            var ns = File.Exists(nsFile) ? (await File.ReadAllTextAsync(nsFile, ct).ConfigureAwait(false)).Trim() : SpokeNames.BackupNamespace;
            using var handler = ClusterHandler(Path.Combine(ServiceAccountDir, "ca.crt"));
            using var http = new HttpClient(handler);
            var job = JobOfPod(Environment.GetEnvironmentVariable("HOSTNAME") ?? Environment.MachineName);
            await PatchJobAsync(http, server, token, ns, job, patch, log, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning("Could not publish the backup summary on the Job ({Error}); the backup is not affected", CommandGuard.OneLine(e.Message));
        }
    }

    /// <summary>Trusts the cluster's CA (the service account's ca.crt) for the API server's certificate, as an in-cluster client does.</summary>
    private static SocketsHttpHandler ClusterHandler(string caFile)
    {
        var roots = new X509Certificate2Collection();
        if (File.Exists(caFile)) roots.ImportFromPemFile(caFile);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (errors == SslPolicyErrors.None) return true;
                    if (certificate is null || roots.Count == 0 || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            },
        };
    }

    /// <summary>Merges the patch into the Job (PATCH, application/merge-patch+json); a refusal (no permission, no such Job) is a warning.</summary>
    public static async Task PatchJobAsync(HttpClient http, Uri server, string? token, string ns, string job, string patch, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(log);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Patch,
            new Uri(server, $"/apis/batch/v1/namespaces/{Uri.EscapeDataString(ns)}/jobs/{Uri.EscapeDataString(job)}"))
        {
            Content = new StringContent(patch, Encoding.UTF8, "application/merge-patch+json"),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/merge-patch+json");
        if (!string.IsNullOrEmpty(token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                log.LogInformation("Backup summary published on Job {Namespace}/{Job} ({Annotation})", ns, job, BackupDetails.Annotation);
            }
            else
            {
                log.LogWarning("Could not publish the backup summary on Job {Namespace}/{Job}: the API server answered {Status}; the backup is not affected",
                    ns, job, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or System.Security.Authentication.AuthenticationException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            log.LogWarning("Could not publish the backup summary on Job {Namespace}/{Job} ({Error}); the backup is not affected", ns, job, CommandGuard.OneLine(e.Message));
        }
    }

    /// <summary>A Job's pod is named <c>&lt;job&gt;-&lt;5 random characters&gt;</c>; anything else is taken for the reference's Job.</summary>
    public static string JobOfPod(string podName)
    {
        ArgumentNullException.ThrowIfNull(podName);
        var dash = podName.LastIndexOf('-');
        return dash > 0 && podName.Length - dash - 1 == 5 ? podName[..dash] : DefaultJob;
    }
}
