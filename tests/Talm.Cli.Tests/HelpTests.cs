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
}
