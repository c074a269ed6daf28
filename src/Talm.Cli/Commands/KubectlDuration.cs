using System.Globalization;
using System.Text.RegularExpressions;

namespace Talm.Cli.Commands;

/// <summary>Durations as kubectl writes and reads them: <c>45s</c>, <c>3m12s</c>, <c>2h5m</c>.</summary>
public static partial class KubectlDuration
{
    public static string Format(TimeSpan t)
    {
        if (t < TimeSpan.FromMinutes(1)) return ((int)Math.Round(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
        if (t < TimeSpan.FromHours(1)) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m{t.Seconds}s");
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes}m");
    }

    /// <summary>Reads <c>90s</c>, <c>10m</c>, <c>1h30m</c>, <c>1.5m</c> (Go's units h, m, s, ms) or a bare number of seconds; more than zero.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bare))
        {
            value = TimeSpan.FromSeconds(bare);
            return bare > 0 && value < TimeSpan.FromDays(30);
        }
        var match = Parts().Match(text);
        if (!match.Success)
            return false;
        double seconds = 0;
        for (var i = 0; i < match.Groups["n"].Captures.Count; i++)
        {
            var n = double.Parse(match.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
            seconds += match.Groups["u"].Captures[i].Value switch
            {
                "h" => n * 3600,
                "m" => n * 60,
                "s" => n,
                _ => n / 1000,
            };
        }
        if (seconds <= 0 || seconds >= TimeSpan.FromDays(30).TotalSeconds)
            return false;
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    [GeneratedRegex(@"^(?:(?<n>\d+(?:\.\d+)?)(?<u>ms|h|m|s))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Parts();
}
