using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Talm.Api.Cgu;

namespace Talm.Cli.Commands;

/// <summary>
/// How the agent in a hub-made Job tells the hub something: an annotation merged into its own Job through the
/// spoke's API server with the pod's service account (the Job's account is bound to cluster-admin by the hub's
/// <c>*-crb-create</c> action, so it may patch its Job), where the hub's view of the Job picks it up. Best effort:
/// any failure is one warning line and never changes what the agent did. One PATCH over HttpClient (no
/// Kubernetes client library: the agent is trimmed, and this is all it asks of the API server).
/// </summary>
public static class JobAnnotations
{
    /// <summary>Where a kubelet mounts the pod's service account (token, ca.crt, namespace).</summary>
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The JSON merge patch that puts <paramref name="value"/> on the Job as <paramref name="annotation"/>.</summary>
    public static string MergePatch(string annotation, string value) => new JsonObject
    {
        ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [annotation] = value } },
    }.ToJsonString();

    /// <summary>
    /// Publishes the patch where this pod can: the lab's patch file, else the API server of the cluster it runs
    /// in; elsewhere nothing. <paramref name="what"/> names it in the log ("backup summary"); a pod whose name
    /// does not say its Job is taken for <paramref name="defaultJob"/>, one without its namespace file to run in
    /// <paramref name="defaultNamespace"/>.
    /// </summary>
    public static async Task PublishAsync(string patch, string what, string defaultNamespace, string defaultJob, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            if (Environment.GetEnvironmentVariable(BackupDetails.LabPatchFileVariable) is { Length: > 0 } file)
            {
                var partial = file + ".partial";
                await File.WriteAllTextAsync(partial, patch, ct).ConfigureAwait(false);
                File.Move(partial, file, overwrite: true);
                log.LogInformation("{What} written for the Job to {File}", Capitalized(what), file);
                return;
            }
            var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            var tokenFile = Path.Combine(ServiceAccountDir, "token");
            if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !File.Exists(tokenFile))
            {
                log.LogDebug("Not in a pod with a service account: the {What} is not published", what);
                return;
            }
            var server = new Uri($"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
            var token = (await File.ReadAllTextAsync(tokenFile, ct).ConfigureAwait(false)).Trim();
            var nsFile = Path.Combine(ServiceAccountDir, "namespace");
            var ns = File.Exists(nsFile) ? (await File.ReadAllTextAsync(nsFile, ct).ConfigureAwait(false)).Trim() : defaultNamespace;
            using var handler = ClusterHandler(Path.Combine(ServiceAccountDir, "ca.crt"));
            using var http = new HttpClient(handler);
            var job = JobOfPod(Environment.GetEnvironmentVariable("HOSTNAME") ?? Environment.MachineName, defaultJob);
            await PatchJobAsync(http, server, token, ns, job, patch, log, ct, what).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning("Could not publish the {What} on the Job ({Error}); the agent's work is not affected", what, CommandGuard.OneLine(e.Message));
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
    public static async Task PatchJobAsync(HttpClient http, Uri server, string? token, string ns, string job, string patch, ILogger log, CancellationToken ct,
        string what = "backup summary")
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
                log.LogInformation("{What} published on Job {Namespace}/{Job}", Capitalized(what), ns, job);
            }
            else
            {
                log.LogWarning("Could not publish the {What} on Job {Namespace}/{Job}: the API server answered {Status}; the agent's work is not affected",
                    what, ns, job, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or System.Security.Authentication.AuthenticationException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            log.LogWarning("Could not publish the {What} on Job {Namespace}/{Job} ({Error}); the agent's work is not affected", what, ns, job, CommandGuard.OneLine(e.Message));
        }
    }

    private static string Capitalized(string what) => what.Length == 0 ? what : char.ToUpperInvariant(what[0]) + what[1..];

    /// <summary>A Job's pod is named <c>&lt;job&gt;-&lt;5 random characters&gt;</c>; anything else is taken for <paramref name="defaultJob"/>.</summary>
    public static string JobOfPod(string podName, string defaultJob)
    {
        ArgumentNullException.ThrowIfNull(podName);
        var dash = podName.LastIndexOf('-');
        return dash > 0 && podName.Length - dash - 1 == 5 ? podName[..dash] : defaultJob;
    }
}
