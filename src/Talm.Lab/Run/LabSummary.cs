using System.Globalization;
using System.Text;
using Talm.Api.Text;
using Talm.Lab.Hub;

namespace Talm.Lab.Run;

/// <summary>The closing text of a lab run: per cluster backup and result, the CGU's verdict, the times.</summary>
public static class LabSummary
{
    private const int MaxClusters = 60;

    public static string Render(LabResult r)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine();
        sb.AppendLine(r.Finished ? "Summary" : "Summary (the CGU did not finish)");
        sb.AppendLine(inv, $"  {"cluster",-10} {"backup",-19} {"duration",9} {"size",10}  result");
        foreach (var c in r.Clusters.Take(MaxClusters))
        {
            var duration = c.BackupSeconds is { } s ? $"{s:F1}s" : "-";
            var size = c.BackupBytes is { } b && b > 0 ? ByteSize.Format(b) : "-";
            sb.AppendLine(inv, $"  {c.Name,-10} {c.Backup,-19} {duration,9} {size,10}  {c.Result}");
        }
        if (r.Clusters.Count > MaxClusters)
        {
            sb.AppendLine(inv, $"  ... {r.Clusters.Count - MaxClusters} more clusters:");
            foreach (var g in r.Clusters.GroupBy(c => c.Result).OrderBy(g => g.Key, StringComparer.Ordinal))
                sb.AppendLine(inv, $"      {g.Count(),6} {g.Key}");
        }
        var last = Json.Items(Json.At(r.Cgu, "status", "conditions")).LastOrDefault();
        if (last is not null)
            sb.AppendLine(inv, $"  CGU: {Json.Str(last, "type")} {Json.Str(last, "reason")}: {Json.Str(last, "message")}");
        var upgraded = r.Clusters.Count(c => c.Result == "upgraded");
        sb.AppendLine(inv, $"  {upgraded} of {r.Clusters.Count} clusters upgraded; set-up {r.SetUp.TotalSeconds:F1}s, rollout {r.EnableToCompletion.TotalSeconds:F1}s, total {r.Total.TotalSeconds:F1}s");
        var m = r.Metrics;
        var perCluster = r.Clusters.Count == 0 ? 0 : (double)m.OperatorWrites / r.Clusters.Count;
        sb.AppendLine(inv, $"  hub operator ({(m.OperatorMode == "process" ? "own process" : "in the lab's process")}): {m.OperatorWrites} writes ({perCluster:F1} per cluster, {m.OperatorDeletes} deletes), {m.OperatorReads} reads, as counted by the API server");
        sb.Append(inv, $"  KUBECONFIG={r.Kubeconfig} kubectl get cgu -A");
        return sb.ToString();
    }

}
