using System.CommandLine;
using Talm.Sandbox;

namespace Talm.Cli.Commands;

/// <summary><c>talm lab make-host DIR --profile small|sno|typical [--seed N]</c>: a sandbox SNO host tree.</summary>
public static class LabMakeHostCommand
{
    public static Command Create()
    {
        var command = new Command("make-host", "Create a sandbox host tree shaped like a single-node OpenShift's (etc, usr/local, kubelet, real ostree sysroot, real etcd data, a podman image).");
        var dir = new Argument<string>("DIR") { Description = "New, empty directory for the host root" };
        var profile = new Option<string>("--profile") { Description = "small (tests), sno (the size of a real single-node OpenShift: ~9,500 files, 476 MiB, 40 MB etcd) or typical (2 GiB, 34,000 files)", DefaultValueFactory = _ => "small" };
        profile.AcceptOnlyFromAmong([.. SandboxProfile.Names]);
        var seed = new Option<int>("--seed") { Description = "Seed for the generated content", DefaultValueFactory = _ => 1 };
        command.Arguments.Add(dir);
        command.Options.Add(profile);
        command.Options.Add(seed);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var root = parse.GetValue(dir)!;
                var result = await new SandboxHost(root, SandboxProfile.ByName(parse.GetValue(profile)!), parse.GetValue(seed)).CreateAsync(ct).ConfigureAwait(false);
                await output.WriteLineAsync($"host {Path.GetFullPath(root)} ready in {started.Elapsed.TotalSeconds:0.0} s: {result.KeyCount} etcd keys under {result.KeyPrefix}, image {result.Image ?? "(none)"}").ConfigureAwait(false);
                return 0;
            }
            catch (Exception e) when (e is IOException or Recovery.Processes.ProcessFailedException or InvalidOperationException or ArgumentException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"talm: make-host failed: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }
}
