namespace Talm.Operator.Tests;

/// <summary>Polls a condition against real servers, failing with a description after a deadline.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds}s waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static async Task<T> ValueAsync<T>(Func<Task<T?>> read, Func<T, bool> accept, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T? last = default;
        while (true)
        {
            last = await read();
            if (last is not null && accept(last)) return last;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds}s waiting for: {what}; last: {last}");
            await Task.Delay(25);
        }
    }
}
