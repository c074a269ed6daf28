using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;
using Talm.Api.Agent;
using Talm.Api.Text;
using Talm.Cli.Commands;
using Talm.Engine.Preflight;

namespace Talm.Cli.Preflight;

/// <summary><c>kubectl talm preflight</c>'s output: a table on a terminal, aligned plain lines elsewhere, or JSON.</summary>
public static class PreflightOutput
{
    private static readonly string[] Headers = ["CLUSTER", "RESULT", "NEEDED", "FREE", "ETCD", "PREVIOUS", "PIN", "MESSAGE"];

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Readable as kubectl prints it: '+' and quotes in messages stay as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Result(PreflightResult result) => result switch
    {
        PreflightResult.Passed => "passed",
        PreflightResult.Failed => "FAILED",
        PreflightResult.NoReport => "no report",
        PreflightResult.Unavailable => "unavailable",
        PreflightResult.Error => "error",
        _ => "timed out",
    };

    private static string[] Cells(PreflightRow row)
    {
        var report = row.Outcome.Report;
        var needed = report?.SpaceNeededBytes is { } n ? n + (report.SpaceMarginBytes ?? 0) : (long?)null;
        return
        [
            row.Cluster,
            Result(row.Outcome.Result),
            needed is { } b ? ByteSize.Format(b) : "-",
            report?.SpaceFreeBytes is { } free ? ByteSize.Format(free) : "-",
            Check(report, PreflightCheckNames.Etcd),
            Check(report, PreflightCheckNames.Previous) is "ok" && report!.PreviousGeneration is null ? "none" : Check(report, PreflightCheckNames.Previous),
            Check(report, PreflightCheckNames.Pin),
            row.Outcome.Message,
        ];
    }

    private static string Check(PreflightReport? report, string name) =>
        report?.Check(name) is { } c ? (c.Ok ? "ok" : "FAIL") : "-";

    public static string Header(PreflightSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var counts = s.Rows.GroupBy(r => r.Outcome.Result).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {Result(g.Key).ToLowerInvariant()}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"pre-flight of clustergroupupgrade {s.Namespace}/{s.Cgu}: {s.Rows.Count} cluster{(s.Rows.Count == 1 ? "" : "s")}, {string.Join(", ", counts)} ({KubectlDuration.Format(s.Took)})");
    }

    /// <summary>What the table does not say: clusters not checked and why, what was left behind.</summary>
    public static IEnumerable<string> Notes(PreflightSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!s.BackupEnabled)
            yield return "note: the CGU has backup: false, so no backup will run; these are the clusters it would back up with backup: true";
        if (s.Targets.Compliant.Count > 0)
            yield return $"not checked, already compliant (no upgrade, no backup): {Names(s.Targets.Compliant)}";
        if (s.Targets.PrecacheFailed.Count > 0)
            yield return $"not checked, left out by failed pre-caching: {Names(s.Targets.PrecacheFailed)}";
        if (s.Kept)
        {
            yield return $"kept (--keep): the talm-preflight-* views and actions in each cluster's namespace, and on each cluster namespace {PreflightFlow.SpokeNamespace} " +
                         $"with Job {PreflightFlow.SpokeJob}; the next pre-flight removes them";
        }

        if (s.CleanupPending.Count > 0)
            yield return $"cleanup pending on {Names(s.CleanupPending)}: RHACM runs talm-preflight-ns-delete and talm-preflight-crb-delete there when the cluster answers";
    }

    private static string Names(IReadOnlyList<string> names, int max = 10) =>
        names.Count <= max ? string.Join(", ", names) : string.Join(", ", names.Take(max)) + string.Create(CultureInfo.InvariantCulture, $" and {names.Count - max} more");

    /// <summary>Plain lines: a header, columns aligned as kubectl aligns them, then the notes.</summary>
    public static string Plain(PreflightSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var rows = summary.Rows.Select(Cells).Prepend(Headers).ToList();
        var widths = Enumerable.Range(0, Headers.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder(Header(summary)).Append('\n');
        foreach (var row in rows)
            text.Append(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i])))).Append('\n');
        foreach (var note in Notes(summary))
            text.Append(note).Append('\n');
        return text.ToString();
    }

    public static IRenderable Table(PreflightSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var table = new Table().Title(Markup.Escape(Header(summary))).Border(TableBorder.Rounded);
        // Every column but the message keeps to one line; the message wraps in what is left.
        foreach (var h in Headers) table.AddColumn(h == "MESSAGE" ? new TableColumn(h) : new TableColumn(h).NoWrap());
        foreach (var row in summary.Rows)
        {
            var cells = Cells(row).Select(Markup.Escape).ToArray();
            cells[1] = $"[{(row.Outcome.Passed ? "green" : "red")}]{cells[1]}[/]";
            if (row.Outcome.Report?.Check(PreflightCheckNames.Space) is { Ok: false })
                cells[2] = $"[red]{cells[2]}[/]";
            for (var i = 4; i <= 6; i++)
                cells[i] = cells[i] == "FAIL" ? $"[red]{cells[i]}[/]" : cells[i];
            table.AddRow(cells);
        }
        var notes = Notes(summary).ToList();
        if (notes.Count == 0)
            return table;
        return new Rows([table, .. notes.Select(n => new Markup(Markup.Escape(n)))]);
    }

    /// <summary>The whole result as JSON (<c>-o json</c>): per cluster the outcome and the agent's report as it published it.</summary>
    public static string Json(PreflightSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var clusters = new JsonArray();
        foreach (var row in s.Rows)
        {
            var entry = new JsonObject
            {
                ["cluster"] = row.Cluster,
                ["result"] = JsonNamingPolicy.CamelCase.ConvertName(row.Outcome.Result.ToString()),
                ["message"] = row.Outcome.Message,
            };
            if (row.Outcome.JobSeconds is { } seconds)
                entry["jobSeconds"] = Math.Round(seconds, 3);
            if (row.Outcome.Report is { } report)
                entry["report"] = JsonNode.Parse(report.ToAnnotation());
            clusters.Add(entry);
        }
        var root = new JsonObject
        {
            ["clusterGroupUpgrade"] = new JsonObject { ["namespace"] = s.Namespace, ["name"] = s.Cgu },
            ["ok"] = s.Ok,
            ["image"] = s.Image,
            ["seconds"] = Math.Round(s.Took.TotalSeconds, 3),
            ["clusters"] = clusters,
            ["notChecked"] = new JsonObject
            {
                ["compliant"] = new JsonArray([.. s.Targets.Compliant.Select(c => (JsonNode)JsonValue.Create(c)!)]),
                ["precacheFailed"] = new JsonArray([.. s.Targets.PrecacheFailed.Select(c => (JsonNode)JsonValue.Create(c)!)]),
            },
            ["cleanupPending"] = new JsonArray([.. s.CleanupPending.Select(c => (JsonNode)JsonValue.Create(c)!)]),
            ["kept"] = s.Kept,
        };
        return root.ToJsonString(Indented) + "\n";
    }
}
