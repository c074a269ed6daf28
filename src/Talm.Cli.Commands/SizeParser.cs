using System.Globalization;
using System.Text.RegularExpressions;

namespace Talm.Cli.Commands;

/// <summary>Sizes such as <c>10GiB</c>, <c>512M</c>, <c>0</c> (binary units; a bare number is bytes), up to <see cref="long.MaxValue"/> bytes.</summary>
public static partial class SizeParser
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var unit = match.Groups[2].Value.ToUpperInvariant();
        var shift = unit.Length == 0 ? 0 : unit[0] switch { 'B' => 0, 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, _ => -1 };
        if (shift < 0 || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        // Exact arithmetic: a size that does not fit is refused, never wrapped round.
        if (number > (decimal)long.MaxValue / (1L << shift))
        {
            return false;
        }

        bytes = (long)Math.Floor(number * (1L << shift));
        return true;
    }

    [GeneratedRegex(@"^(\d{1,30}(?:\.\d{1,20})?)\s*([KMGTP]i?B?|B)?$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
