using System.Diagnostics;
using Talm.Cli.Commands;

namespace Talm.Cli.Tests;

/// <summary>
/// <c>talm completion bash</c> loaded into a real bash: TAB (the completion function, with the variables bash sets)
/// asks the real talm and offers what may come next.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CompletionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("talm-completion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("talm rec", "recovery")]
    [InlineData("talm recovery st", "status")]
    [InlineData("talm recovery restore --etcd-restore cl", "cluster-restore.sh")]
    [InlineData("talm completion f", "fish")]
    [InlineData("talm lab ", "--help -? -h make-host recover serve up")]
    public async Task Bash_completes_from_the_real_command_tree(string line, string expected)
    {
        var script = Path.Combine(_dir, "talm.bash");
        await File.WriteAllTextAsync(script, await TalmAsync("completion", "bash"));

        // `talm` on PATH is this build, run through dotnet.
        var talm = Path.Combine(_dir, "talm");
        await File.WriteAllTextAsync(talm, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "talm.dll")}' \"$@\"\n");
        File.SetUnixFileMode(talm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // What bash sets before it calls a completion function (-F) on TAB at the end of the line.
        var driver = $$"""
            source '{{script}}'
            COMP_LINE='{{line}}'
            COMP_POINT=${#COMP_LINE}
            read -r -a COMP_WORDS <<< "$COMP_LINE"
            [[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _talm_complete
            printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
            """;
        var info = new ProcessStartInfo("bash", ["--norc", "--noprofile", "-c", driver]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["PATH"] = _dir + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = Process.Start(info)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        var error = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.True(bash.ExitCode == 0, error);
        Assert.Equal(expected.Split(' '), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _talm_complete talm")]
    [InlineData("zsh", "compdef _talm_complete talm")]
    [InlineData("fish", "complete -c talm -f -a '(_talm_complete)'")]
    public async Task Each_shell_gets_its_own_script(string shell, string binding)
    {
        var script = await TalmAsync("completion", shell);
        Assert.Contains(binding, script, StringComparison.Ordinal);
        Assert.Contains("[suggest:", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_shell_is_refused_with_exit_code_2()
    {
        var parse = Program.BuildRoot().Parse(["completion", "tcsh"]);
        parse.InvocationConfiguration.Error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, await Program.InvokeAsync(parse));
    }

    private static async Task<string> TalmAsync(params string[] args)
    {
        var output = new StringWriter();
        var parse = Program.BuildRoot().Parse(args);
        parse.InvocationConfiguration.Output = output;
        Assert.Equal(0, await Program.InvokeAsync(parse));
        return output.ToString();
    }
}
