using System.Globalization;
using System.Text;
using Talm.Recovery.Unattended;

namespace Talm.Cli.Commands;

/// <summary>The unattended restore's record in <c>talm recovery status</c>.</summary>
internal static class UnattendedText
{
    public static void Render(StringBuilder text, UnattendedResult u)
    {
        var at = u.State switch
        {
            UnattendedState.Armed => u.ArmedAt,
            UnattendedState.Running => u.StartedAt,
            _ => u.FinishedAt,
        };
        var state = u.State == UnattendedState.Running
            ? "running (or interrupted: the node went down while it ran)"
            : u.State;
        text.AppendLine(CultureInfo.InvariantCulture, $"Unattended restore ({u.Unit})");
        var when = u.Finished ? "at" : "since";
        text.AppendLine(CultureInfo.InvariantCulture, $"  state:          {state}{(at is { } t ? $" {when} {t.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC" : "")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  stage reached:  {u.Stage} (generation {u.Generation ?? "?"}, {u.Runs} run(s) after a boot)");
        if (u.Message is { } message)
        {
            var lines = message.Split('\n');
            text.AppendLine(CultureInfo.InvariantCulture, $"  message:        {lines[0]}");
            foreach (var line in lines.Skip(1).Take(20))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"                  {line}");
            }
        }

        if (u.Next is { } next)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  next:           {next}");
        }

        if (u.Finished)
        {
            text.AppendLine(u.PublishedAt is { } published
                ? string.Create(CultureInfo.InvariantCulture, $"  in the cluster: ConfigMap {ResultConfigMap.Namespace}/{ResultConfigMap.Name}, written {published.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC")
                : $"  in the cluster: not written ({u.PublishProblem ?? "not tried"})");
        }
    }
}
