using Talm.Recovery.Platform;
using Talm.Recovery.Processes;

namespace Talm.Recovery.Tests;

/// <summary>
/// The node's tools are found on PATH only. .NET would otherwise run a file of the same name from the
/// agent's working directory first: as root, on the node.
/// </summary>
public sealed class ToolLookupTests
{
    [Fact]
    public async Task A_backup_started_beside_decoy_tools_runs_the_ones_on_PATH()
    {
        using var host = await TestHost.CreateAsync(seed: 31);
        var decoys = Directory.CreateTempSubdirectory("talm-decoys-").FullName;
        try
        {
            var marker = Path.Combine(decoys, "decoy-ran");
            foreach (var tool in new[] { "ostree", "tar" })
            {
                var path = Path.Combine(decoys, tool);
                await File.WriteAllTextAsync(path, $"#!/bin/sh\necho {tool} >> '{marker}'\nexit 1\n");
                Posix.Chmod(path, 0x1C0); // rwx------
            }

            var backup = await TestHost.RunProgramInAsync(decoys, TestHost.TalmRecoveryDll, ["recovery", "backup", .. host.BackupArgs()]);

            Assert.True(backup.ExitCode == 0, backup.Error);
            Assert.False(File.Exists(marker), File.Exists(marker) ? "decoys ran: " + await File.ReadAllTextAsync(marker) : "");
        }
        finally
        {
            Directory.Delete(decoys, recursive: true);
        }
    }

    [Fact]
    public async Task A_tool_missing_from_PATH_is_named_with_the_PATH_searched()
    {
        var empty = Directory.CreateTempSubdirectory("talm-path-").FullName;
        try
        {
            var runner = new ProcessRunner(environment: new Dictionary<string, string?> { ["PATH"] = empty });
            var result = await runner.TryRunAsync("ostree", ["--version"]);

            Assert.Equal(127, result.ExitCode);
            Assert.Contains($"ostree is not on PATH ({empty})", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Only_executable_files_match_and_empty_entries_are_skipped()
    {
        var dir = Directory.CreateTempSubdirectory("talm-path-").FullName;
        try
        {
            var plain = Path.Combine(dir, "tool");
            File.WriteAllText(plain, "#!/bin/sh\n");
            Posix.Chmod(plain, 0x180); // rw-------
            Directory.CreateDirectory(Path.Combine(dir, "sub", "tool"));

            Assert.Null(ExecutableLookup.Find("tool", $"::{Path.Combine(dir, "sub")}:{dir}"));

            Posix.Chmod(plain, 0x140); // r-x------
            Assert.Equal(plain, ExecutableLookup.Find("tool", $"::{Path.Combine(dir, "sub")}:{dir}"));
            Assert.Equal("./tool", ExecutableLookup.Find("./tool", ""));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
