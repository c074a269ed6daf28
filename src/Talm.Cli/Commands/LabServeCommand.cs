using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using Talm.KubeApi;

namespace Talm.Cli.Commands;

/// <summary><c>talm lab serve</c>: runs the embedded API server until interrupted.</summary>
public static class LabServeCommand
{
    public static Command Build()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "Loopback address and port to serve plain HTTP on (port 0 picks a free one)",
            DefaultValueFactory = _ => "127.0.0.1:6443",
        };
        var kubeconfig = new Option<string>("--kubeconfig")
        {
            Description = "Where to write a kubeconfig for kubectl and the operator",
            DefaultValueFactory = _ => ".lab/kubeconfig",
        };
        var data = new Option<string?>("--data") { Description = "Directory that keeps state across restarts (in memory when omitted)" };
        var load = new Option<string[]>("--load")
        {
            Description = "YAML manifests (e.g. deploy/lab-crds/*.yaml) to create at start when absent",
            AllowMultipleArgumentsPerToken = true,
        };
        var tokenFile = new Option<string?>("--token-auth-file")
        {
            Description = "Tokens that TokenReviews authenticate, one token,user,uid[,\"group1,group2\"] per line (kube-apiserver's format); " +
                "the kubeconfig's own token is always user talm-lab in system:masters",
        };
        var logRequests = new Option<bool>("--log-requests") { Description = "Log every request (method, path, status, duration) to stderr" };
        var command = new Command("serve", "Start the lab's Kubernetes-compatible API server and write a kubeconfig for it");
        command.Options.Add(listen);
        command.Options.Add(kubeconfig);
        command.Options.Add(data);
        command.Options.Add(load);
        command.Options.Add(tokenFile);
        command.Options.Add(logRequests);
        command.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            var stderr = p.InvocationConfiguration.Error;
            var stdout = p.InvocationConfiguration.Output;
            if (!TryParseListen(p.GetValue(listen)!, out var address, out var port))
            {
                await stderr.WriteLineAsync($"talm lab serve: --listen must be a loopback IP:PORT such as 127.0.0.1:6443 (got \"{p.GetValue(listen)}\")");
                return HubExitCodes.BadInput;
            }
            if (p.GetValue(tokenFile) is { } tokens)
            {
                try
                {
                    _ = new Talm.KubeApi.Auth.StaticTokens(tokens);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    await stderr.WriteLineAsync($"talm lab serve: --token-auth-file: {e.Message}");
                    return HubExitCodes.BadInput;
                }
            }
            var level = p.GetValue(logRequests) ? LogLevel.Debug : LogLevel.Warning;
            using var loggerFactory = LoggerFactory.Create(b => b
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddFilter("Talm.KubeApi", level)
                .SetMinimumLevel(LogLevel.Warning));
            KubeApiServer server;
            try
            {
                server = await KubeApiServer.StartAsync(new KubeApiServerOptions
                {
                    Address = address,
                    Port = port,
                    KubeconfigPath = Path.GetFullPath(p.GetValue(kubeconfig)!),
                    DataDirectory = p.GetValue(data) is { } d ? Path.GetFullPath(d) : null,
                    ManifestFiles = p.GetValue(load) ?? [],
                    TokenAuthFile = p.GetValue(tokenFile) is { } tf ? Path.GetFullPath(tf) : null,
                    LoggerFactory = loggerFactory,
                }, ct);
            }
            catch (InvalidDataException e) when (e.Message.StartsWith("the data directory", StringComparison.Ordinal))
            {
                // Damaged data: refused loudly, nothing changed (see WriteAheadLog.Load).
                await stderr.WriteLineAsync($"talm lab serve: {e.Message}");
                return HubExitCodes.Stopped;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ApiException)
            {
                // A --load manifest that is missing or cannot be applied.
                await stderr.WriteLineAsync($"talm lab serve: cannot load the manifests: {e.Message}");
                return HubExitCodes.BadInput;
            }
            catch (UnauthorizedAccessException e)
            {
                await stderr.WriteLineAsync($"talm lab serve: {e.Message}; choose a --data directory and --kubeconfig path this user can write");
                return HubExitCodes.BadInput;
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"talm lab serve: cannot listen on {address}:{port} ({e.Message}); pick another port with --listen");
                return HubExitCodes.Stopped;
            }
            await using (server)
            {
                await stdout.WriteLineAsync($"serving {server.Url} (plain HTTP, loopback only); kubeconfig: {server.KubeconfigPath}");
                await stdout.WriteLineAsync($"try: kubectl --kubeconfig {server.KubeconfigPath} get namespaces   (Ctrl+C stops)");
                // Ctrl+C arrives through ct; SIGTERM (kill, systemd, container stop) gets the same clean stop.
                using var stop = new StopSignals(ct);
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    await stdout.WriteLineAsync("stopping");
                }
            }
            return HubExitCodes.Ok;
        });
        return command;
    }

    private static bool TryParseListen(string text, out IPAddress address, out int port)
    {
        address = IPAddress.Loopback;
        port = 0;
        return IPEndPoint.TryParse(text, out var ep) && IPAddress.IsLoopback(ep.Address) && (address = ep.Address) is not null && (port = ep.Port) >= 0;
    }
}
