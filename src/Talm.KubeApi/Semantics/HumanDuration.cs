using System.Globalization;

namespace Talm.KubeApi.Semantics;

/// <summary>The age strings kubectl shows (<c>45s</c>, <c>3m20s</c>, <c>5h</c>, <c>3d4h</c>), same thresholds as Kubernetes.</summary>
public static class HumanDuration
{
    public static string Format(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 120) return F("{0}s", seconds);
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10) return seconds % 60 == 0 ? F("{0}m", minutes) : F("{0}m{1}s", minutes, seconds % 60);
        if (minutes < 180) return F("{0}m", minutes);
        var hours = (long)d.TotalHours;
        if (hours < 8) return minutes % 60 == 0 ? F("{0}h", hours) : F("{0}h{1}m", hours, minutes % 60);
        if (hours < 48) return F("{0}h", hours);
        if (hours < 24 * 8) return hours % 24 == 0 ? F("{0}d", hours / 24) : F("{0}d{1}h", hours / 24, hours % 24);
        if (hours < 24 * 365 * 2) return F("{0}d", hours / 24);
        var days = hours / 24;
        if (hours < 24 * 365 * 8) return days % 365 == 0 ? F("{0}y", days / 365) : F("{0}y{1}d", days / 365, days % 365);
        return F("{0}y", days / 365);
    }

    private static string F(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
