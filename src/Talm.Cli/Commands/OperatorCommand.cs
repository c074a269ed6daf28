using System.CommandLine;
using k8s;
using Microsoft.Extensions.Logging;
using Talm.Engine.Model;
using Talm.Operator;
using Talm.Operator.Election;
using Talm.Operator.Hosting;
using Talm.Operator.Kube;

namespace Talm.Cli.Commands;

/// <summary>
/// <c>talm operator</c>: the hub operator. The only place its settings are read from the
/// environment (RECOVERY_IMG, PRECACHE_IMG, TALM_CGU_CTRL_WORKER_COUNT, INSECURE_GRAPH_CALL, POD_NAME,
/// POD_NAMESPACE), the reference's knobs included.
/// </summary>
public static class OperatorCommand
{
    private const string ServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
    private const int DefaultWorkers = 5;

    /// <summary>The reference's TALM_CGU_CTRL_WORKER_COUNT; anything but a whole number of at least 1 gives its default.</summary>
    public static int WorkersFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("TALM_CGU_CTRL_WORKER_COUNT"), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : DefaultWorkers;

    public static Command Build()
    {
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "kubeconfig of the hub; without it, the in-cluster service account is used",
        };
        var leaderElect = new Option<bool>("--leader-elect")
        {
            Description = "Hold a Lease so that only one replica acts; losing it ends the process",
        };
        var metricsBind = new Option<string>("--metrics-bind")
        {
            Description = "Address for /metrics, e.g. :8443 or 127.0.0.1:8443; 0 disables it",
            DefaultValueFactory = _ => ":8443",
        };
        var metricsSecure = new Option<bool>("--metrics-secure")
        {
            Description = "Serve /metrics over HTTPS to callers whose bearer token passes a TokenReview and who may get /metrics " +
                "(SubjectAccessReview); --metrics-secure=false serves plain HTTP to anyone (the lab)",
            DefaultValueFactory = _ => true,
        };
        var metricsCertDir = new Option<string?>("--metrics-cert-dir")
        {
            Description = "Directory holding tls.crt and tls.key for /metrics (re-read when they change); without it a self-signed certificate is made at start",
        };
        var healthBind = new Option<string>("--health-bind")
        {
            Description = "Address for /healthz and /readyz, e.g. :8081; 0 disables them",
            DefaultValueFactory = _ => ":8081",
        };
        var workers = new Option<int>("--workers")
        {
            Description = "ClusterGroupUpgrades reconciled at once (default: TALM_CGU_CTRL_WORKER_COUNT when it is a whole number of at least 1, else 5, as the reference)",
            DefaultValueFactory = _ => WorkersFromEnvironment(),
        };
        var clusterSteps = new Option<int>("--cluster-steps-per-reconcile")
        {
            Description = "Clusters that may start a backup or pre-cache step in one reconcile of a CGU; the rest follow at once. " +
                "Smaller keeps the status closer to the fleet, larger writes the status less often",
            DefaultValueFactory = _ => EngineSettings.DefaultClusterStepsPerDecision,
        };
        var leaseNamespace = new Option<string?>("--leader-election-namespace")
        {
            Description = "Namespace of the Lease (default: the pod's namespace, else default)",
        };
        var logFormat = new Option<string>("--log-format")
        {
            Description = "json (one object per line, with cgu and cluster fields) or text",
            DefaultValueFactory = _ => "json",
        };
        logFormat.AcceptOnlyFromAmong("json", "text");
        var logLevel = new Option<string>("--log-level")
        {
            Description = "Least severe log entries written: debug, information (each write to the hub), warning or error",
            DefaultValueFactory = _ => "information",
        };
        logLevel.AcceptOnlyFromAmong("debug", "information", "warning", "error");

        var command = new Command("operator",
            "Run the hub operator: reconcile ClusterGroupUpgrades (backup, batches, policies) against the hub's API server");
        foreach (var o in new Option[] { kubeconfig, leaderElect, metricsBind, metricsSecure, metricsCertDir, healthBind, workers, clusterSteps, leaseNamespace, logFormat, logLevel })
            command.Options.Add(o);

        command.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            var stderr = p.InvocationConfiguration.Error;
            foreach (var (name, value) in new[] { ("--metrics-bind", p.GetValue(metricsBind)), ("--health-bind", p.GetValue(healthBind)) })
            {
                try
                {
                    if (!BindAddress.IsDisabled(value)) BindAddress.Parse(value!);
                }
                catch (FormatException e)
                {
                    await stderr.WriteLineAsync($"talm operator: {name}: {e.Message}");
                    return HubExitCodes.BadInput;
                }
            }
            if (p.GetValue(metricsSecure) && !BindAddress.IsDisabled(p.GetValue(metricsBind)) && !BindAddress.IsDisabled(p.GetValue(healthBind))
                && BindAddress.Parse(p.GetValue(metricsBind)!) is { Port: > 0 } m && m.Equals(BindAddress.Parse(p.GetValue(healthBind)!)))
            {
                await stderr.WriteLineAsync("talm operator: --metrics-bind and --health-bind are the same address, but the probes are plain HTTP " +
                    "and the secure metrics HTTPS; give them different ports (or --metrics-secure=false)");
                return HubExitCodes.BadInput;
            }
            if (p.GetValue(metricsCertDir) is { } certDir && p.GetValue(metricsSecure))
            {
                foreach (var file in new[] { ServingCertificate.CertificateFile, ServingCertificate.KeyFile })
                {
                    if (File.Exists(Path.Combine(certDir, file))) continue;
                    await stderr.WriteLineAsync($"talm operator: --metrics-cert-dir: {Path.Combine(certDir, file)} does not exist; " +
                        "mount the serving certificate Secret there (tls.crt, tls.key) or leave the option out for a self-signed one");
                    return HubExitCodes.BadInput;
                }
            }
            if (p.GetValue(workers) < 1)
            {
                await stderr.WriteLineAsync("talm operator: --workers must be at least 1");
                return HubExitCodes.BadInput;
            }
            if (p.GetValue(clusterSteps) < 1)
            {
                await stderr.WriteLineAsync("talm operator: --cluster-steps-per-reconcile must be at least 1 (with 0 no backup would ever start)");
                return HubExitCodes.BadInput;
            }

            // Any kubeconfig the client cannot use (missing, not YAML, no such context, certificate data that
            // is not a certificate) is bad input: one line naming the file, never a stack trace.
            Kubernetes client;
            try
            {
                var config = p.GetValue(kubeconfig) is { } file
                    ? KubernetesClientConfiguration.BuildConfigFromConfigFile(file)
                    : KubernetesClientConfiguration.InClusterConfig();
                client = new Kubernetes(config, new OperatorUserAgent());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var cause = e.Message.Split('\n')[0].Trim();
                await stderr.WriteLineAsync(p.GetValue(kubeconfig) is null
                    ? $"talm operator: not running in a cluster ({cause}); pass --kubeconfig FILE to run against a hub from outside"
                    : $"talm operator: cannot use kubeconfig {p.GetValue(kubeconfig)} ({cause}); check the file, its current context and its certificates");
                return HubExitCodes.BadInput;
            }
            using var _ = client;

            using var logs = LoggerFactory.Create(b =>
            {
                b.SetMinimumLevel(Enum.Parse<LogLevel>(p.GetValue(logLevel)!, ignoreCase: true));
                b.AddFilter("Microsoft", LogLevel.Warning);
                if (p.GetValue(logFormat) == "json")
                {
                    b.AddJsonConsole(o =>
                    {
                        o.IncludeScopes = true;
                        o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                        o.UseUtcTimestamp = true;
                    });
                }
                else
                {
                    b.AddSimpleConsole(o =>
                    {
                        o.SingleLine = true;
                        o.IncludeScopes = true;
                    });
                }
            });

            var identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod
                ? pod
                : $"{Environment.MachineName}-{Environment.ProcessId}";
            var options = new OperatorOptions
            {
                RecoveryImage = NonEmpty(Environment.GetEnvironmentVariable("RECOVERY_IMG")),
                PrecacheImage = NonEmpty(Environment.GetEnvironmentVariable("PRECACHE_IMG")),
                InsecureUpdateGraph = Environment.GetEnvironmentVariable("INSECURE_GRAPH_CALL") == "true",
                HealthBind = p.GetValue(healthBind),
                MetricsBind = p.GetValue(metricsBind),
                MetricsSecure = p.GetValue(metricsSecure),
                MetricsCertDir = p.GetValue(metricsCertDir),
                Workers = p.GetValue(workers),
                ClusterStepsPerReconcile = p.GetValue(clusterSteps),
                Instance = identity,
                LeaderElection = p.GetValue(leaderElect)
                    ? new LeaderElectionOptions { Namespace = p.GetValue(leaseNamespace) ?? PodNamespace(), Identity = identity }
                    : null,
            };

            using var host = new OperatorHost(client, options, TimeProvider.System, logs);
            try
            {
                await host.RunAsync(ct);
                return HubExitCodes.Ok;
            }
            catch (LeadershipLostException e)
            {
                logs.CreateLogger("Talm.Operator").LogError("{Error}", e.Message);
                return HubExitCodes.Stopped;
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                await stderr.WriteLineAsync($"talm operator: cannot use the metrics serving certificate in {p.GetValue(metricsCertDir)} ({e.Message}); tls.crt and tls.key must be a PEM certificate and its key");
                return HubExitCodes.BadInput;
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"talm operator: cannot serve health or metrics ({e.Message}); choose other addresses with --health-bind / --metrics-bind");
                return HubExitCodes.Stopped;
            }
        });
        return command;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string PodNamespace()
    {
        if (NonEmpty(Environment.GetEnvironmentVariable("POD_NAMESPACE")) is { } ns) return ns;
        try
        {
            if (File.Exists(ServiceAccountNamespaceFile)) return File.ReadAllText(ServiceAccountNamespaceFile).Trim();
        }
        catch (IOException)
        {
        }
        return "default";
    }
}
