using Xunit;

namespace Talm.Testing;

/// <summary>Polls a condition against real servers and processes, failing the test with what was awaited after a deadline.</summary>
public static class Eventually
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

    /// <summary>The first value <paramref name="read"/> gives that <paramref name="accept"/> takes.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> read, Func<T, bool> accept, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var last = await read();
            if (last is not null && accept(last)) return last;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds}s waiting for: {what}; last: {last}");
            await Task.Delay(25);
        }
    }

    /// <summary>The first value <paramref name="probe"/> gives that is not null.</summary>
    public static Task<T> Get<T>(Func<Task<T?>> probe, string what, double seconds = 20) where T : class =>
        ValueAsync(probe, _ => true, what, seconds);
}
