using Talm.Recovery.Processes;

namespace Talm.Lab.Recover;

/// <summary>
/// What systemd starts of the administrator's one-shot units when a lab node boots: every unit file in the host's
/// <c>/etc/systemd/system</c> that is enabled (a link to it in a <c>.wants</c> directory there, as
/// <c>systemctl enable</c> makes) and has <c>Type=oneshot</c>, running its ExecStartPre, ExecStart and ExecStartPost
/// commands in order with its <c>Environment=</c> over the node's (and nothing of the caller's), a failing command ending the unit
/// unless its line starts with <c>-</c>. The node's other services are the node tools' stand-ins.
/// </summary>
public static class SimulatedBoot
{
    public static async Task<IReadOnlyList<BootUnitRun>> RunAsync(string hostRoot, IReadOnlyDictionary<string, string> nodeEnvironment, string logFile, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(nodeEnvironment);
        var runs = new List<BootUnitRun>();
        foreach (var (name, file) in EnabledUnits(hostRoot))
        {
            var unit = SystemdUnitFile.Parse(await File.ReadAllTextAsync(file, ct));
            if (unit.Get("Service", "Type") != "oneshot")
            {
                continue;
            }

            // systemd starts a unit with its own environment, not its caller's: nothing of the lab's process leaks in
            // (a KUBECONFIG the unit forgot would be found missing here too). DOTNET_ROOT is kept: it says where this
            // machine's .NET runtime is, as the node's system configuration would.
            var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var key in System.Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k != "DOTNET_ROOT"))
            {
                environment[key] = null;
            }

            foreach (var (key, value) in nodeEnvironment.Concat(unit.Environment()))
            {
                environment[key] = value;
            }

            var commands = new List<ExecCommand>();
            var exit = 0;
            var output = new System.Text.StringBuilder();
            foreach (var command in new[] { "ExecStartPre", "ExecStart", "ExecStartPost" }.SelectMany(unit.Exec))
            {
                commands.Add(command);
                var r = await new ProcessRunner(environment: environment, transcript: logFile).TryRunAsync(command.Program, command.Arguments, ct);
                output.Append(r.StandardOutput).Append(r.StandardError);
                if (r.ExitCode != 0 && !command.IgnoreFailure)
                {
                    exit = r.ExitCode;
                    break;
                }
            }

            runs.Add(new BootUnitRun(name, commands, exit, output.ToString()));
        }

        return runs;
    }

    /// <summary>The enabled units whose files are in the host's /etc/systemd/system: (name, file).</summary>
    public static IReadOnlyList<(string Name, string File)> EnabledUnits(string hostRoot)
    {
        var units = Path.Join(hostRoot, "etc/systemd/system");
        if (!Directory.Exists(units))
        {
            return [];
        }

        return Directory.EnumerateDirectories(units, "*.wants")
            .SelectMany(Directory.EnumerateFileSystemEntries)
            .Select(link => Path.GetFileName(link))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(name => (name, Path.Combine(units, name)))
            .Where(u => File.Exists(u.Item2))
            .ToList();
    }
}

/// <summary>One unit the simulated boot ran: its commands as run, and how it ended (0: every command succeeded).</summary>
public sealed record BootUnitRun(string Unit, IReadOnlyList<ExecCommand> Commands, int ExitCode, string Output);
