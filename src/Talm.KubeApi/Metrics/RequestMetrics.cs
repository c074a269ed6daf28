using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Talm.KubeApi.Metrics;

/// <summary>
/// Requests the server answered, counted by <see cref="RequestKey"/>: whoever sends them (kubectl,
/// the operator in this process or in another), so that a component's cost is measured on the
/// server's side. Read in-process with <see cref="Snapshot"/>, or as Prometheus text on /metrics.
/// </summary>
public sealed class RequestMetrics
{
    public const string MetricName = "apiserver_request_total";

    /// <summary>User-Agent values longer than this are cut, so one odd client cannot grow a label without bound.</summary>
    public const int MaxClientLength = 128;

    private readonly ConcurrentDictionary<RequestKey, Cell> _counts = new();

    public void Record(RequestKey key)
    {
        var cell = _counts.GetOrAdd(key, static _ => new Cell());
        Interlocked.Increment(ref cell.Value);
    }

    /// <summary>Every label set seen so far and its count (a copy; counting goes on).</summary>
    public IReadOnlyList<KeyValuePair<RequestKey, long>> Snapshot() =>
        [.. _counts.Select(e => new KeyValuePair<RequestKey, long>(e.Key, Interlocked.Read(ref e.Value.Value)))];

    /// <summary>The sum over the label sets that <paramref name="match"/> accepts.</summary>
    public long Count(Func<RequestKey, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        long sum = 0;
        foreach (var (key, cell) in _counts)
        {
            if (match(key)) sum += Interlocked.Read(ref cell.Value);
        }
        return sum;
    }

    /// <summary>The counters in the Prometheus text exposition format (version 0.0.4), sorted so that scrapes diff well.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP ").Append(MetricName)
            .Append(" Requests answered, by verb, dry run, group, version, resource, subresource, scope, component, client (User-Agent) and HTTP code.\n");
        text.Append("# TYPE ").Append(MetricName).Append(" counter\n");
        foreach (var (key, count) in Snapshot().OrderBy(e => Line(e.Key), StringComparer.Ordinal))
            text.Append(Line(key)).Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    /// <summary>The User-Agent as a label value: cut to <see cref="MaxClientLength"/>; empty when absent.</summary>
    public static string Client(string? userAgent)
    {
        var value = (userAgent ?? string.Empty).Trim();
        return value.Length <= MaxClientLength ? value : value[..MaxClientLength];
    }

    private static string Line(RequestKey k)
    {
        var line = new StringBuilder(MetricName).Append('{');
        Label(line, "client", k.Client, first: true);
        Label(line, "code", k.Code.ToString(CultureInfo.InvariantCulture));
        Label(line, "component", "apiserver");
        Label(line, "dry_run", k.DryRun);
        Label(line, "group", k.Group);
        Label(line, "resource", k.Resource);
        Label(line, "scope", k.Scope);
        Label(line, "subresource", k.Subresource);
        Label(line, "verb", k.Verb);
        Label(line, "version", k.Version);
        return line.Append('}').ToString();
    }

    private static void Label(StringBuilder line, string name, string value, bool first = false)
    {
        if (!first) line.Append(',');
        line.Append(name).Append("=\"");
        // The exposition format escapes exactly these three in label values.
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': line.Append(@"\\"); break;
                case '"': line.Append("\\\""); break;
                case '\n': line.Append(@"\n"); break;
                default: line.Append(c); break;
            }
        }
        line.Append('"');
    }

    private sealed class Cell
    {
        public long Value;
    }
}
