using System.CommandLine;
using k8s;
using k8s.Autorest;
using Spectre.Console;
using Talm.Cli.Preflight;

namespace Talm.Cli.Commands;

/// <summary>
/// <c>kubectl talm preflight CGU</c>: the backup's pre-flight (<c>launchBackup --dry-run</c>) on every cluster the
/// CGU would back up, through RHACM as the operator runs a backup, with a table of what each found (docs/hub.md).
/// </summary>
public static class KubectlPreflightCommand
{
    /// <summary>Every cluster passed.</summary>
    public const int Passed = 0;

    /// <summary>At least one cluster failed a check, or did not answer in time, or could not be tried.</summary>
    public const int ClustersFailed = 1;

    /// <summary>The pre-flight could not run: no such CGU, no clusters to check, no RHACM, no image, the hub refused.</summary>
    public const int CouldNotRun = 3;

    public const string Name = "preflight";

    /// <summary>How long the clusters' cleanup may take after Ctrl+C or SIGTERM before the process ends anyway.</summary>
    public static readonly TimeSpan InterruptGrace = PreflightRequest.DefaultCleanupTimeout + TimeSpan.FromSeconds(20);

    public static Command Build()
    {
        var command = new Command(Name,
            "Check, before the window, that each cluster a ClusterGroupUpgrade would back up can take its backup: the agent's pre-flight " +
            "(launchBackup --dry-run: space needed and free, etcd, the previous backup, the pin) runs there in a Job made through RHACM, " +
            "as the operator makes the backup's; nothing is written on the nodes. " +
            $"Exit {Passed} all passed, {ClustersFailed} some cluster did not, {HubExitCodes.BadInput} bad command line, {CouldNotRun} it could not run (the message says why).");
        var cgu = new Argument<string>("CGU") { Description = "The ClusterGroupUpgrade's name" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Its namespace (default: the context's, else default)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)" };
        var context = new Option<string?>("--context") { Description = "Kubeconfig context (default: the current one)" };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for every cluster's answer, e.g. 90s, 10m (default 10m)", DefaultValueFactory = _ => "10m" };
        var keep = new Option<bool>("--keep")
        {
            Description = "Leave the talm-preflight-* views and actions on the hub and each cluster's namespace openshift-talo-preflight with its Job " +
                          "(to read the pod's log); the next pre-flight removes them",
        };
        var image = new Option<string?>("--image") { Description = "The agent's image (default: $RECOVERY_IMG, else the talm-operator Deployment's RECOVERY_IMG)" };
        var output = new Option<string?>("--output", "-o") { Description = "json: the whole result as JSON (default: a table)" };
        command.Arguments.Add(cgu);
        foreach (var option in (Option[])[ns, kubeconfig, context, timeout, keep, image, output])
            command.Options.Add(option);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (!KubectlDuration.TryParse(parse.GetValue(timeout), out var wait))
            {
                await stderr.WriteLineAsync($"talm: --timeout '{parse.GetValue(timeout)}' is not a duration; use e.g. 90s, 10m or 1h").ConfigureAwait(false);
                return HubExitCodes.BadInput;
            }
            var format = parse.GetValue(output);
            if (format is not (null or "json" or "table"))
            {
                await stderr.WriteLineAsync($"talm: --output '{format}' is not a format here; use json (or leave it out for the table)").ConfigureAwait(false);
                return HubExitCodes.BadInput;
            }
            if (await KubectlCommand.ConfigAsync(parse, kubeconfig, context, stderr).ConfigureAwait(false) is not { } config)
                return HubExitCodes.BadInput;
            var request = new PreflightRequest
            {
                Namespace = parse.GetValue(ns) ?? (string.IsNullOrEmpty(config.Namespace) ? "default" : config.Namespace),
                Cgu = parse.GetValue(cgu)!,
                Image = parse.GetValue(image),
                Timeout = wait,
                Keep = parse.GetValue(keep),
            };
            var terminal = stdout == Console.Out && !Console.IsOutputRedirected;
            using var client = new Kubernetes(config);
            return await CommandGuard.RunAsync(stderr, "preflight", async () =>
            {
                PreflightSummary summary;
                try
                {
                    summary = await new PreflightRunner(new PreflightHub(client), TimeProvider.System, stderr).RunAsync(request, ct).ConfigureAwait(false);
                }
                catch (PreflightException e)
                {
                    await stderr.WriteLineAsync("talm: preflight: " + e.Message).ConfigureAwait(false);
                    return CouldNotRun;
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException)
                {
                    await stderr.WriteLineAsync($"talm: preflight: the hub refused or did not answer: {CommandGuard.OneLine(Detail(e))}").ConfigureAwait(false);
                    return CouldNotRun;
                }
                if (format == "json")
                    await stdout.WriteAsync(PreflightOutput.Json(summary)).ConfigureAwait(false);
                else if (terminal)
                    AnsiConsole.Write(PreflightOutput.Table(summary));
                else
                    await stdout.WriteAsync(PreflightOutput.Plain(summary)).ConfigureAwait(false);
                return summary.Ok ? Passed : ClustersFailed;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static string Detail(Exception e) =>
        e is HttpOperationException { Response.Content: { Length: > 0 } body } http ? $"{http.Message}: {body}" : e.Message;
}
