using System.Globalization;

namespace Talm.Engine.Reconcile;

/// <summary>
/// spaceRequired as the reference reads it (docker's go-units): "40GiB" or "40 GiB" in powers of 1024
/// when the text has an "i", "40GB" or "40 G" in powers of 1000 otherwise ("40 Gi" is refused, as
/// go-units refuses it); written as whole GiB, rounded up.
/// </summary>
internal static class SpaceRequired
{
    public const string Default = "35 GiB";

    public static (string GiB, string? Error) Normalize(string text)
    {
        var binary = text.Contains('i', StringComparison.Ordinal);
        var (bytes, error) = Parse(text, binary ? 1024 : 1000);
        if (error is not null)
            return ("", error);
        if (bytes < 0)
            return ("", "invalid value for spaceRequired, must be a number greater than 0");
        var gib = (long)Math.Ceiling(bytes / (1024d * 1024 * 1024));
        return (gib.ToString(CultureInfo.InvariantCulture), null);
    }

    private static (long Bytes, string? Error) Parse(string text, long unit)
    {
        var sep = text.LastIndexOfAny("01234567890. ".ToCharArray());
        if (sep < 0)
            return (-1, $"invalid size: '{text}'");
        string number, suffix;
        if (text[sep] != ' ')
        {
            number = text[..(sep + 1)];
            suffix = text[(sep + 1)..];
        }
        else
        {
            number = text[..sep];
            suffix = text[(sep + 1)..];
        }
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var size))
            return (-1, $"strconv.ParseFloat: parsing \"{number}\": invalid syntax");
        if (size < 0)
            return (-1, $"invalid size: '{text}'");
        if (suffix.Length == 0)
            return ((long)size, null);
        if (suffix.Length > 3)
            return (-1, $"invalid suffix: '{suffix}'");
        suffix = suffix.ToLowerInvariant();
        if (suffix[0] == 'b')
            return suffix.Length > 1 ? (-1, $"invalid suffix: '{suffix}'") : ((long)size, null);
        var power = "kmgtp".IndexOf(suffix[0], StringComparison.Ordinal);
        if (power < 0)
            return (-1, $"invalid suffix: '{suffix}'");
        if ((suffix.Length == 2 && suffix[1] != 'b') || (suffix.Length == 3 && suffix[1..] != "ib"))
            return (-1, $"invalid suffix: '{suffix}'");
        return ((long)(size * Math.Pow(unit, power + 1)), null);
    }
}
