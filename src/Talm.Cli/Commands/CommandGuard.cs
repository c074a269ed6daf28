namespace Talm.Cli.Commands;

/// <summary>Runs a spoke command so that nothing escapes as a stack trace: every outcome is one line and an <see cref="ExitCodes"/> code.</summary>
public static class CommandGuard
{
    public static async Task<int> RunAsync(TextWriter error, string command, Func<Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync($"talm: {command} interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"talm: {command}: internal error ({e.GetType().Name}: {OneLine(e.Message)}); please report it, with the output of the same command run with TALM_TRACE=1").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("TALM_TRACE") == "1")
            {
                await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }

            return ExitCodes.InternalError;
        }
    }

    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
