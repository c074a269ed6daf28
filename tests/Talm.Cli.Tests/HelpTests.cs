namespace Talm.Cli.Tests;

public sealed class HelpTests
{
    [Fact]
    public async Task Help_describes_the_product()
    {
        var output = new StringWriter();
        var parse = Program.BuildRoot().Parse(["--help"]);
        parse.InvocationConfiguration.Output = output;
        var code = await parse.InvokeAsync();
        Assert.Equal(0, code);
        Assert.Contains("single-node OpenShift", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_names_the_program_the_version_and_the_commit()
    {
        var output = new StringWriter();
        var parse = Program.BuildRoot().Parse(["--version"]);
        parse.InvocationConfiguration.Output = output;
        Assert.Equal(0, await Program.InvokeAsync(parse));
        var version = Talm.Api.Build.BuildVersion.Current;
        Assert.Equal($"talm {version.Version} " + (version.Commit is null ? "(commit unknown: built outside a git checkout)" : $"(commit {version.Commit[..7]})"),
            output.ToString().TrimEnd());
    }
}
