namespace Talm.Lab.Tests;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="probe"/> returns a non-null value, or fails naming what was awaited.</summary>
    public static async Task<T> Get<T>(Func<Task<T?>> probe, string what, int seconds = 20) where T : class
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var v = await probe();
            if (v is not null) return v;
            if (DateTime.UtcNow > until) throw new TimeoutException($"timed out after {seconds}s waiting for {what}");
            await Task.Delay(50);
        }
    }
}
