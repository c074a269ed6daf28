using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Spectre.Console;
using Spectre.Console.Rendering;
using Talm.Api.Cgu;
using Talm.Api.Json;
using Talm.Api.Text;
using Talm.Engine.Progress;

namespace Talm.Cli.Commands;

/// <summary>
/// <c>talm kubectl ...</c>: the commands of the kubectl plugin. Installed as <c>kubectl-talm</c> on PATH (a link
/// to this program), <c>kubectl talm status CGU</c> runs <c>talm kubectl status CGU</c> (see <see cref="Program.Main"/>).
/// </summary>
public static class KubectlCommand
{
    public const string Name = "kubectl";

    /// <summary>The program name kubectl looks for on PATH for <c>kubectl talm</c>.</summary>
    public const string PluginName = "kubectl-talm";

    private static readonly string Group = "ran.openshift.io", Version = "v1alpha1", Plural = "clustergroupupgrades";

    public static Command Build()
    {
        var command = new Command(Name, "The kubectl plugin: `kubectl talm ...` when this program is on PATH as kubectl-talm (see docs/hub.md).");
        command.Subcommands.Add(BuildStatus());
        command.Subcommands.Add(KubectlPreflightCommand.Build());
        return command;
    }

    /// <summary>The client configuration from --kubeconfig (else KUBECONFIG, else ~/.kube/config) and --context; null after one line on stderr.</summary>
    internal static async Task<KubernetesClientConfiguration?> ConfigAsync(ParseResult parse, Option<string?> kubeconfig, Option<string?> context, TextWriter error)
    {
        try
        {
            var file = parse.GetValue(kubeconfig) ?? FirstKubeconfig();
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(file, parse.GetValue(context));
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException or ArgumentException or FormatException or YamlDotNet.Core.YamlException)
        {
            await error.WriteLineAsync($"talm: cannot use the kubeconfig ({CommandGuard.OneLine(e.Message)}); give one with --kubeconfig or KUBECONFIG").ConfigureAwait(false);
            return null;
        }
    }

    private static Command BuildStatus()
    {
        var command = new Command("status", "Per cluster of a ClusterGroupUpgrade: the backup state, size and duration, batch, state, current policy and time left.");
        var cgu = new Argument<string>("CGU") { Description = "The ClusterGroupUpgrade's name" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Its namespace (default: the context's, else default)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)" };
        var context = new Option<string?>("--context") { Description = "Kubeconfig context (default: the current one)" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Keep watching the CGU and show it again whenever it changes" };
        command.Arguments.Add(cgu);
        foreach (var option in (Option[])[ns, kubeconfig, context, watch])
            command.Options.Add(option);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (await ConfigAsync(parse, kubeconfig, context, error).ConfigureAwait(false) is not { } config)
                return HubExitCodes.BadInput;
            var name = parse.GetValue(cgu)!;
            var space = parse.GetValue(ns) ?? (string.IsNullOrEmpty(config.Namespace) ? "default" : config.Namespace);
            // kubectl runs a plugin with its own terminal: a table there, plain lines into a pipe or a file.
            var terminal = output == Console.Out && !Console.IsOutputRedirected;
            using var client = new Kubernetes(config);
            return await CommandGuard.RunAsync(error, "status", async () =>
            {
                try
                {
                    return parse.GetValue(watch)
                        ? await WatchAsync(client, space, name, output, terminal, ct).ConfigureAwait(false)
                        : await ShowOnceAsync(client, space, name, output, terminal, ct).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    await error.WriteLineAsync($"talm: clustergroupupgrade {space}/{name} not found").ConfigureAwait(false);
                    return 1;
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException)
                {
                    await error.WriteLineAsync($"talm: cannot read clustergroupupgrade {space}/{name}: {CommandGuard.OneLine(e.Message)}").ConfigureAwait(false);
                    return 1;
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static string? FirstKubeconfig()
    {
        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        var first = env?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
        return first; // null: the client's default (~/.kube/config)
    }

    private static async Task<int> ShowOnceAsync(IKubernetes client, string ns, string name, TextWriter output, bool terminal, CancellationToken ct)
    {
        var (cgu, _) = await GetAsync(client, ns, name, ct).ConfigureAwait(false);
        var progress = CguProgress.Of(cgu, DateTimeOffset.UtcNow);
        if (terminal)
            AnsiConsole.Write(Table(progress));
        else
            await output.WriteAsync(Plain(progress)).ConfigureAwait(false);
        return 0;
    }

    private static async Task<(ClusterGroupUpgrade Cgu, string ResourceVersion)> GetAsync(IKubernetes client, string ns, string name, CancellationToken ct)
    {
        var raw = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name, ct).ConfigureAwait(false);
        var cgu = raw.Deserialize<ClusterGroupUpgrade>(KubeJson.Options)!;
        return (cgu, cgu.Metadata.ResourceVersion ?? "");
    }

    /// <summary>Shows the CGU, then again on every change (a watch on it alone) until it is deleted or the command is stopped.</summary>
    private static async Task<int> WatchAsync(IKubernetes client, string ns, string name, TextWriter output, bool terminal, CancellationToken ct)
    {
        var (cgu, version) = await GetAsync(client, ns, name, ct).ConfigureAwait(false);
        string? lastPlain = null;
        async Task ShowPlainAsync(ClusterGroupUpgrade c)
        {
            var text = Plain(CguProgress.Of(c, DateTimeOffset.UtcNow));
            if (text == lastPlain) return;
            if (lastPlain is not null) await output.WriteLineAsync().ConfigureAwait(false);
            lastPlain = text;
            await output.WriteAsync(text).ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
        }

        if (!terminal)
        {
            await ShowPlainAsync(cgu).ConfigureAwait(false);
            return await FollowAsync(client, ns, name, version, ShowPlainAsync, ct).ConfigureAwait(false);
        }
        var code = 0;
        try
        {
            await AnsiConsole.Live(Table(CguProgress.Of(cgu, DateTimeOffset.UtcNow))).StartAsync(async live =>
            {
                var current = cgu;
                using var ticks = new PeriodicTimer(TimeSpan.FromSeconds(1));
                // The time left counts down between changes.
                var ticking = Task.Run(async () =>
                {
                    while (await ticks.WaitForNextTickAsync(ct).ConfigureAwait(false))
                        live.UpdateTarget(Table(CguProgress.Of(Volatile.Read(ref current), DateTimeOffset.UtcNow)));
                }, ct);
                code = await FollowAsync(client, ns, name, version, c =>
                {
                    Volatile.Write(ref current, c);
                    live.UpdateTarget(Table(CguProgress.Of(c, DateTimeOffset.UtcNow)));
                    return Task.CompletedTask;
                }, ct).ConfigureAwait(false);
                ticks.Dispose();
                await ticking.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return code;
    }

    private static async Task<int> FollowAsync(IKubernetes client, string ns, string name, string version,
        Func<ClusterGroupUpgrade, Task> show, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var gone = false;
            try
            {
                var events = client.CustomObjects.WatchListNamespacedCustomObjectAsync(Group, Version, ns, Plural,
                    fieldSelector: "metadata.name=" + name, resourceVersion: version, timeoutSeconds: 300, cancellationToken: ct);
                await foreach (var (type, raw) in events.ConfigureAwait(false))
                {
                    if (raw is not JsonElement json) continue;
                    if (type == WatchEventType.Deleted)
                    {
                        gone = true;
                        break;
                    }
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        var cgu = json.Deserialize<ClusterGroupUpgrade>(KubeJson.Options)!;
                        version = cgu.Metadata.ResourceVersion ?? version;
                        await show(cgu).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or KubernetesException or IOException)
            {
                // Expired resourceVersion or a dropped connection: read it again and watch from there.
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                (var cgu, version) = await GetAsync(client, ns, name, ct).ConfigureAwait(false);
                await show(cgu).ConfigureAwait(false);
            }
            if (gone)
            {
                await Console.Error.WriteLineAsync($"talm: clustergroupupgrade {ns}/{name} was deleted").ConfigureAwait(false);
                return 0;
            }
        }
        return 0;
    }

    private static readonly string[] Headers = ["CLUSTER", "BACKUP", "SIZE", "TOOK", "BATCH", "STATE", "POLICY", "TIME LEFT"];

    private static string[] Cells(ClusterProgress c, int batches) =>
    [
        c.Cluster,
        c.Backup ?? "-",
        c.BackupDetails?.Bytes is { } bytes ? ByteSize.Format(bytes) : "-",
        (c.BackupDetails?.DurationSeconds ?? c.BackupDetails?.JobSeconds) is { } took ? Duration(TimeSpan.FromSeconds(took)) : "-",
        c.Batch is { } b ? $"{b}/{batches}" : "-",
        c.State,
        c.Policy ?? "-",
        c.TimeLeft is { } left ? Duration(left) : "-",
    ];

    private static string Header(CguProgress p)
    {
        var text = new StringBuilder($"clustergroupupgrade {p.Namespace}/{p.Name}: {p.Phase ?? "-"}");
        if (!string.IsNullOrEmpty(p.Message)) text.Append($" ({p.Message})");
        if (p.Batches > 0) text.Append(CultureInfo.InvariantCulture, $", batch {Math.Max(p.CurrentBatch, 0)}/{p.Batches}");
        if (p.TimeLeft is { } left) text.Append(", ").Append(Duration(left)).Append(" left");
        return text.ToString();
    }

    /// <summary>Plain lines: a header, then columns aligned as kubectl aligns them.</summary>
    public static string Plain(CguProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var rows = progress.Clusters.Select(c => Cells(c, progress.Batches)).Prepend(Headers).ToList();
        var widths = Enumerable.Range(0, Headers.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder(Header(progress)).Append('\n');
        foreach (var row in rows)
            text.Append(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i])))).Append('\n');
        return text.ToString();
    }

    private static IRenderable Table(CguProgress progress)
    {
        var table = new Table().Title(Markup.Escape(Header(progress))).Border(TableBorder.Rounded);
        foreach (var h in Headers) table.AddColumn(h);
        foreach (var c in progress.Clusters)
        {
            var cells = Cells(c, progress.Batches).Select(Markup.Escape).ToArray();
            var colour = c.State switch
            {
                "complete" => "green",
                "timedout" => "red",
                _ when c.State.StartsWith("left out", StringComparison.Ordinal) => "red",
                "pending" => "grey",
                _ => "yellow",
            };
            cells[5] = $"[{colour}]{cells[5]}[/]";
            if (c.Backup is { } backup && backup != BackupStates.Succeeded && BackupStates.IsFinal(backup))
                cells[1] = $"[red]{cells[1]}[/]";
            table.AddRow(cells);
        }
        return table;
    }

    private static string Duration(TimeSpan t) => KubectlDuration.Format(t);
}
