using k8s;
using k8s.Autorest;
using Talm.KubeApi;
using Talm.Lab.Spokes;
using Talm.Recovery.Layout;
using Talm.Recovery.Systemd;
using Talm.Recovery.Unattended;

namespace Talm.Lab.Recover;

/// <summary>
/// <c>talm lab recover NAME --unattended</c>: the one command an engineer types on the node
/// (<c>restore --unattended --reboot</c>), then a simulated boot that runs what systemd would run, the enabled
/// one-shot unit the agent wrote (<see cref="SimulatedBoot"/>), while the spoke's API server is back. A lab spoke
/// has no API server of its own (RHACM's view of it is simulated in the <c>lab up</c> process), so for the boot the
/// lab starts an embedded one and writes its kubeconfig where the unit's KUBECONFIG points: the agent writes the
/// result ConfigMap there with its own client, and the lab reads it back with the Kubernetes client.
/// </summary>
internal sealed class LabUnattendedRecovery(TextWriter output)
{
    public delegate Task StepRunner(string title, string[] args, Dictionary<string, string> env, SpokeDirectory spoke, CancellationToken ct);

    /// <summary>Runs the unattended recovery; returns what was wrong with it (nothing, when it worked).</summary>
    public async Task<IReadOnlyList<string>> RunAsync(SpokeDirectory spoke, LabNodeTools tools, string kubeconfig, Dictionary<string, string> env,
        StepRunner step, CancellationToken ct)
    {
        var problems = new List<string>();
        var enable = $"systemctl --root={spoke.Host} enable {RestoreUnit.Name}";
        var disable = $"systemctl --root={spoke.Host} disable {RestoreUnit.Name}";
        await step("1/3 one command: talm recovery restore --unattended --reboot (rollback, restore files, install the unit, reboot)",
            ["recovery", "restore", "--host-root", spoke.Host, "--dir", spoke.Backup, "--unattended", "--reboot"], env, spoke, ct);
        var before = tools.Calls().ToList();
        var enabledAt = before.LastIndexOf(enable);
        if (enabledAt < 0 || before.FindIndex(enabledAt, c => c == "systemctl reboot") < 0)
            problems.Add($"the command did not run '{enable}' and then 'systemctl reboot'");

        await output.WriteLineAsync("2/3 simulated reboot: the node's services stop; at boot the spoke's API server is back and systemd runs the enabled one-shot units");
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { KubeconfigPath = kubeconfig }, ct);
        var node = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = env["PATH"] };
        // The unit arms itself again only when the restore needs one more reboot; three boots are more than it ever needs.
        for (var boot = 1; boot <= 3 && SimulatedBoot.EnabledUnits(spoke.Host).Count > 0; boot++)
        {
            foreach (var run in await SimulatedBoot.RunAsync(spoke.Host, node, spoke.Log, ct))
            {
                foreach (var command in run.Commands)
                    await output.WriteLineAsync($"    boot {boot}, {run.Unit}: {command}");
                foreach (var line in run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(4))
                    await output.WriteLineAsync("      " + line);
                if (run.ExitCode != 0)
                    problems.Add($"{run.Unit} ended with exit code {run.ExitCode} at boot {boot}");
            }
        }

        if (SimulatedBoot.EnabledUnits(spoke.Host).Any(u => u.Name == RestoreUnit.Name))
            problems.Add($"{RestoreUnit.Name} is still enabled after three boots");
        if (File.Exists(Path.Join(spoke.Host, RestoreUnit.Directory, RestoreUnit.Name)))
            problems.Add($"{RestoreUnit.Name} is still in /{RestoreUnit.Directory}");
        if (!tools.Calls().Skip(before.Count).Contains(disable))
            problems.Add($"the unit did not disable itself ('{disable}')");

        await output.WriteLineAsync("3/3 the result, on the node and in the cluster");
        var result = new BackupDirectory(spoke.Backup).RestoreResult.TryRead();
        await output.WriteLineAsync(result is null
            ? "    restore-result.json: none"
            : $"    restore-result.json: {result.State}, stage {result.Stage}, generation {result.Generation}, {result.Runs} run(s): {result.Message}");
        if (result?.State != UnattendedState.Succeeded)
            problems.Add($"the result on the node is {result?.State ?? "missing"}, not {UnattendedState.Succeeded}");

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        try
        {
            var configMap = await client.CoreV1.ReadNamespacedConfigMapAsync(ResultConfigMap.Name, ResultConfigMap.Namespace, cancellationToken: ct);
            IReadOnlyDictionary<string, string> data = configMap.Data is { } d ? new Dictionary<string, string>(d) : new Dictionary<string, string>();
            await output.WriteLineAsync($"    ConfigMap {ResultConfigMap.Namespace}/{ResultConfigMap.Name}: " +
                string.Join(", ", new[] { "state", "stage", "generation", "finishedAt" }.Select(k => $"{k}={data.GetValueOrDefault(k)}")));
            if (data.GetValueOrDefault("state") != UnattendedState.Succeeded)
                problems.Add($"the ConfigMap says {data.GetValueOrDefault("state") ?? "nothing"}, not {UnattendedState.Succeeded}");
        }
        catch (HttpOperationException e)
        {
            problems.Add($"the ConfigMap {ResultConfigMap.Namespace}/{ResultConfigMap.Name} cannot be read: {(int)e.Response.StatusCode}");
        }

        return problems;
    }
}
