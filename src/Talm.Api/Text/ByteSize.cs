using System.Globalization;

namespace Talm.Api.Text;

/// <summary>Byte counts as people read them (binary units, one decimal), the same in Events, the lab and kubectl talm.</summary>
public static class ByteSize
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary><c>512 B</c>, <c>3.0 GiB</c>.</summary>
    public static string Format(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes.ToString(CultureInfo.InvariantCulture)} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {Units[unit]}");
    }
}
