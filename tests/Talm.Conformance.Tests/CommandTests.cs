using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Tests;

/// <summary>How kuttl turns a command string into argv: its shell-less splitter, variables, and namespaced.</summary>
public sealed class CommandTests
{
    private static readonly Dictionary<string, string> Env = new(StringComparer.Ordinal)
    {
        ["NAMESPACE"] = "default",
        ["HOME"] = "/root",
    };

    private static IReadOnlyList<string> Args(string command, bool namespaced = false) =>
        CommandArgs.Build(new TestCommand { Command = command, Namespaced = namespaced }, "default", n => Env.GetValueOrDefault(n));

    [Fact]
    public void Quotes_group_words_and_are_removed()
    {
        Assert.Equal(
            ["oc", "patch", "cgu/x", "--patch", "{\"spec\":{\"enable\":true}}", "--type=merge"],
            Shlex.Split("""oc patch cgu/x --patch '{"spec":{"enable":true}}' --type=merge"""));
        Assert.Equal(["echo", "a b", "c\"d", "e'f"], Shlex.Split("""echo "a b" "c\"d" e\'f"""));
        Assert.Equal(["x", ""], Shlex.Split("x ''"));
        Assert.Equal(["ab"], Shlex.Split("a\"\"b"));
    }

    [Fact]
    public void A_folded_multi_line_command_splits_on_newlines()
    {
        Assert.Equal(["oc", "--namespace=default", "patch", "cgu/x"], Shlex.Split("oc --namespace=default patch \n  cgu/x\n"));
    }

    [Fact]
    public void A_hash_starts_a_comment_only_at_the_start_of_a_word()
    {
        Assert.Equal(["echo", "a#b"], Shlex.Split("echo a#b # the rest\n"));
        Assert.Equal(["echo", "x"], Shlex.Split("echo # gone\nx"));
    }

    [Fact]
    public void Backslash_takes_the_next_character_literally_even_in_double_quotes()
    {
        Assert.Equal(["a b", "n"], Shlex.Split("""a\ b "\n" """));
    }

    [Fact]
    public void An_unclosed_quote_is_an_error()
    {
        Assert.Throws<FormatException>(() => Shlex.Split("echo 'open"));
        Assert.Throws<FormatException>(() => Shlex.Split("echo trailing\\"));
    }

    [Fact]
    public void Variables_expand_before_splitting_and_unknown_ones_are_empty()
    {
        // An unknown variable leaves no word at all: the expansion happens before the split.
        Assert.Equal(["echo", "default", "/root/x", "$", "a"], Args("echo $NAMESPACE ${HOME}/x $$ $NOPE a"));
        Assert.Equal(["echo", "x y"], Args("echo \"x${NOPE} y\""));
        Assert.Equal("cost $", EnvExpand.Expand("cost $", _ => "x"));
    }

    [Fact]
    public void Namespaced_appends_the_test_namespace()
    {
        Assert.Equal(["oc", "apply", "-f", "x.yaml", "--namespace", "default"], Args("oc apply -f x.yaml", namespaced: true));
        Assert.Equal(["oc", "apply", "-f", "x.yaml"], Args("oc apply -f x.yaml"));
    }

    [Theory]
    [InlineData("oc apply --namespace=spoke1 -f x.yaml")]
    [InlineData("oc apply --namespace spoke1 -f x.yaml")]
    [InlineData("oc apply -n spoke1 -f x.yaml")]
    [InlineData("oc apply -nspoke1 -f x.yaml")]
    [InlineData("oc apply -n=spoke1 -f x.yaml")]
    [InlineData("oc apply -f x.yaml -n spoke1")]
    public void Namespaced_keeps_a_namespace_the_command_names(string command)
    {
        var args = Args(command, namespaced: true);
        Assert.DoesNotContain("default", args);
        Assert.Equal("spoke1", CommandArgs.NamespaceFlag(args));
    }

    [Fact]
    public void An_unknown_flag_swallows_the_next_word_as_kuttl_flag_parser_does()
    {
        // "--selector" is unknown to kuttl's parser, so "-n" after it is a flag again but "spoke1" after "-f" is its value.
        Assert.Equal("spoke1", CommandArgs.NamespaceFlag(["oc", "get", "--selector", "a=b", "-n", "spoke1"]));
        // The word after an unknown flag is taken as its value even when it is "-n"'s value lookalike.
        Assert.Null(CommandArgs.NamespaceFlag(["oc", "label", "--overwrite", "n", "x"]));
        // An empty namespace counts as none.
        Assert.Equal(["oc", "get", "--namespace=", "--namespace", "default"], Args("oc get --namespace=", namespaced: true));
        // After "--" nothing is a flag.
        Assert.Equal(["oc", "exec", "--", "-n", "x", "--namespace", "default"], Args("oc exec -- -n x", namespaced: true));
    }

    [Fact]
    public void Script_runs_through_sh_and_cannot_be_namespaced()
    {
        Assert.Equal(["sh", "-c", "echo $NAMESPACE | wc -c"],
            CommandArgs.Build(new TestCommand { Script = "echo $NAMESPACE | wc -c" }, "default", _ => null));
        Assert.Throws<FormatException>(() => CommandArgs.Build(new TestCommand { Script = "x", Namespaced = true }, "default", _ => null));
        Assert.Throws<FormatException>(() => CommandArgs.Build(new TestCommand { Script = "x", Command = "y" }, "default", _ => null));
        Assert.Throws<FormatException>(() => CommandArgs.Build(new TestCommand(), "default", _ => null));
    }

    [Fact]
    public void A_program_with_a_slash_is_found_relative_to_the_test_folder_else_on_PATH()
    {
        Assert.Equal("/ref/deploy/x.sh", Talm.Conformance.Run.CommandRunner.Resolve("../../deploy/x.sh", "/ref/tests/cgu", "/usr/bin"));
        Assert.Equal("/bin/sh", Talm.Conformance.Run.CommandRunner.Resolve("sh", "/tmp", "/nowhere:/bin"));
        Assert.Null(Talm.Conformance.Run.CommandRunner.Resolve("no-such-program-here", "/tmp", "/bin"));
    }
}
