using System.CommandLine;
using System.Text.Json;
using Talm.Recovery.Layout;

namespace Talm.Recovery.Tests;

/// <summary>
/// talm-recovery, the spoke agent on its own: the same commands as <c>talm recovery ...</c> and <c>talm launchBackup</c>,
/// none of the hub's, and a real backup with it carries it (not the whole talm) in the backup's <c>bin/</c>.
/// </summary>
public sealed class RecoveryBinaryTests
{
    [Fact]
    public async Task HelpListsTheAgentsCommandsOnly()
    {
        var (code, output, _) = await TestHost.RunProgramAsync(TestHost.TalmRecoveryDll, "--help");
        Assert.Equal(0, code);
        Assert.Contains("recovery", output, StringComparison.Ordinal);
        Assert.Contains("launchBackup", output, StringComparison.Ordinal);
        Assert.DoesNotContain("operator", output, StringComparison.Ordinal);
        Assert.DoesNotContain("lab ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandTreesAreTheSameAsTalms()
    {
        var talm = global::Talm.Cli.Program.BuildRoot();
        var agent = global::Talm.Recovery.Cli.Program.BuildRoot();
        foreach (var name in new[] { "recovery", "launchBackup" })
        {
            var expected = Describe(talm.Subcommands.Single(c => c.Name == name));
            Assert.NotEmpty(expected);
            Assert.Equal(expected, Describe(agent.Subcommands.Single(c => c.Name == name)));
        }

        Assert.Equal(["completion", "launchBackup", "recovery"], agent.Subcommands.Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task BacksUpVerifiesAndReportsAndCarriesItselfInTheBackup()
    {
        using var host = await TestHost.CreateAsync(seed: 21);
        var backup = await TestHost.RunProgramAsync(TestHost.TalmRecoveryDll, ["recovery", "backup", .. host.BackupArgs()]);
        Assert.True(backup.ExitCode == 0, backup.Error);

        // The backup carries the program that took it: talm-recovery, run by the recovery script.
        Assert.True(File.Exists(Path.Combine(host.BackupDir, "bin", "talm-recovery.dll")));
        var script = await File.ReadAllTextAsync(Path.Combine(host.BackupDir, BackupLayout.RecoveryScript));
        Assert.Contains("bin/talm-recovery.dll\" recovery restore", script, StringComparison.Ordinal);

        var verify = await TestHost.RunProgramAsync(TestHost.TalmRecoveryDll, "recovery", "verify", "--dir", host.BackupDir);
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        Assert.Contains("is intact", verify.Output, StringComparison.Ordinal);

        var status = await TestHost.RunProgramAsync(TestHost.TalmRecoveryDll, "recovery", "status", "--host-root", host.Root, "--dir", host.BackupDir, "--no-verify", "-o", "json");
        Assert.Equal(0, status.ExitCode);
        using var json = JsonDocument.Parse(status.Output);
        Assert.True(json.RootElement.GetProperty("backup").GetProperty("present").GetBoolean());
        Assert.True(json.RootElement.GetProperty("backup").GetProperty("etcdRevision").GetInt64() > 0);
    }

    [Fact]
    public async Task ExitCodesMatchTalmsForBadInput()
    {
        var args = new[] { "recovery", "backup", "--host-root", "/nonexistent-host-root" };
        var agent = await TestHost.RunProgramAsync(TestHost.TalmRecoveryDll, args);
        var talm = await TestHost.RunCliAsync(args);
        Assert.Equal(2, agent.ExitCode);
        Assert.Equal(talm.ExitCode, agent.ExitCode);
        Assert.Equal(talm.Error, agent.Error);
    }

    private static List<string> Describe(Command command, string prefix = "")
    {
        var lines = new List<string>();
        var path = prefix + command.Name;
        lines.Add($"{path} [{string.Join(',', command.Aliases.Order(StringComparer.Ordinal))}] {command.Description} hidden={command.Hidden}");
        foreach (var option in command.Options)
        {
            lines.Add($"{path} {option.Name} [{string.Join(',', option.Aliases.Order(StringComparer.Ordinal))}] {option.ValueType.Name} {option.Description} hidden={option.Hidden}");
        }

        foreach (var argument in command.Arguments)
        {
            lines.Add($"{path} <{argument.Name}> {argument.ValueType.Name}");
        }

        foreach (var sub in command.Subcommands)
        {
            lines.AddRange(Describe(sub, path + " "));
        }

        return lines;
    }
}
