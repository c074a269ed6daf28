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
            DefaultValueFactory = _ => "lab/kubeconfig",
        };
        var data = new Option<string?>("--data") { Description = "Directory that keeps state across restarts (in memory when omitted)" };
        var load = new Option<string[]>("--load")
        {
            Description = "YAML manifests (e.g. deploy/lab-crds/*.yaml) to create at start when absent",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("serve", "Start the lab's Kubernetes-compatible API server and write a kubeconfig for it");
        command.Options.Add(listen);
        command.Options.Add(kubeconfig);
        command.Options.Add(data);
        command.Options.Add(load);
        command.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            var stderr = p.InvocationConfiguration.Error;
            var stdout = p.InvocationConfiguration.Output;
            if (!TryParseListen(p.GetValue(listen)!, out var address, out var port))
            {
                await stderr.WriteLineAsync($"talm lab serve: --listen must be a loopback IP:PORT such as 127.0.0.1:6443 (got \"{p.GetValue(listen)}\")");
                return 2;
            }
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
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
                    LoggerFactory = loggerFactory,
                }, ct);
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"talm lab serve: cannot listen on {address}:{port} ({e.Message}); pick another port with --listen");
                return 1;
            }
            catch (InvalidDataException e)
            {
                await stderr.WriteLineAsync($"talm lab serve: {e.Message}");
                return 1;
            }
            await using (server)
            {
                await stdout.WriteLineAsync($"serving {server.Url} (plain HTTP, loopback only); kubeconfig: {server.KubeconfigPath}");
                await stdout.WriteLineAsync($"try: kubectl --kubeconfig {server.KubeconfigPath} get namespaces   (Ctrl+C stops)");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    await stdout.WriteLineAsync("stopping");
                }
            }
            return 0;
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
