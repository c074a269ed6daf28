using System.CommandLine;

namespace Talm.Cli.Commands;

/// <summary>
/// <c>completion bash|zsh|fish</c>: prints a shell completion script. The script asks the program itself what may
/// come next through System.CommandLine's <c>[suggest:N]</c> directive (the protocol <c>dotnet-suggest</c> speaks),
/// so the commands, options and option values it offers are always this build's, and nothing else need be installed.
/// </summary>
public static class CompletionCommand
{
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    public static Command Build(string program)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(Shells);
        var command = new Command(
            "completion",
            $"Print a completion script for bash, zsh or fish. Load it in the current shell with " +
            $"`source <({program} completion bash)` (zsh: `source <({program} completion zsh)`; fish: `{program} completion fish | source`), or for every session: " +
            $"`{program} completion bash > /etc/bash_completion.d/{program}`, " +
            $"`{program} completion fish > ~/.config/fish/completions/{program}.fish`. " +
            $"On TAB the script runs {program} with its [suggest] directive; nothing else is needed.");
        command.Arguments.Add(shell);
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(Script(parse.GetValue(shell)!, program));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The script for one shell, completing <paramref name="program"/> (and the same program called by a path).</summary>
    public static string Script(string shell, string program)
    {
        // Shell functions cannot have '-' portably in every shell's identifiers we generate; use '_'.
        var fn = "_" + program.Replace('-', '_') + "_complete";
        var script = shell switch
        {
            "bash" => $$"""
                # bash completion for {{program}}: source <({{program}} completion bash)
                {{fn}}()
                {
                    # The words after the program's name, up to the cursor; {{program}} answers what may come next.
                    local line="${COMP_LINE:0:COMP_POINT}"
                    local rest=""
                    [[ "$line" == *[[:space:]]* ]] && rest="${line#*[[:space:]]}"
                    rest="${rest#"${rest%%[![:space:]]*}"}"
                    local IFS=$'\n'
                    local candidates
                    candidates="$("${COMP_WORDS[0]}" "[suggest:${#rest}]" "$rest" 2>/dev/null)" || return 0
                    COMPREPLY=($(compgen -W "$candidates" -- "${COMP_WORDS[COMP_CWORD]}"))
                }
                complete -o default -F {{fn}} {{program}}

                """,
            "zsh" => $$"""
                #compdef {{program}}
                # zsh completion for {{program}}: source <({{program}} completion zsh)
                {{fn}}()
                {
                    # The words after the program's name, up to the cursor; {{program}} answers what may come next.
                    local rest="${(j: :)words[2,CURRENT]}"
                    local -a candidates
                    candidates=("${(@f)$(${words[1]} "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
                    candidates=(${candidates:#})
                    # Nothing the program knows of begins so (a path option's value): paths.
                    compadd -- "${candidates[@]}" || _files
                }
                if (( $+functions[compdef] )); then
                    compdef {{fn}} {{program}}
                fi

                """,
            "fish" => $$"""
                # fish completion for {{program}}: {{program}} completion fish | source
                function {{fn}}
                    # The words after the program's name, up to the cursor; {{program}} answers what may come next.
                    set -l before (commandline -opc)
                    set -l word (commandline -ct)
                    set -l rest (string join ' ' -- $before[2..-1] $word)
                    set -l candidates ($before[1] "[suggest:"(string length -- "$rest")"]" "$rest" 2>/dev/null | string match -- "$word*")
                    if test (count $candidates) -gt 0
                        printf '%s\n' $candidates
                    else
                        # Nothing the program knows of begins so (a path option's value): paths.
                        __fish_complete_path $word
                    end
                end
                complete -c {{program}} -f -a '({{fn}})'

                """,
            _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or fish"),
        };
        return script.ReplaceLineEndings("\n");
    }
}
