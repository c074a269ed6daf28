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
        catch (Exception caught)
        {
            var e = Unwrap(caught);
            await error.WriteLineAsync($"talm: {command}: internal error ({e.GetType().Name}: {OneLine(e.Message)}); please report it, with the output of the same command run with TALM_TRACE=1").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("TALM_TRACE") == "1")
            {
                await error.WriteLineAsync(caught.ToString()).ConfigureAwait(false);
            }

            return ExitCodes.InternalError;
        }
    }

    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>The first real error inside work done in parallel (an <see cref="AggregateException"/> says nothing itself).</summary>
    public static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            e = aggregate.Flatten().InnerExceptions[0];
        }

        return e;
    }
}
