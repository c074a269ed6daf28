using System.Globalization;
using System.Text;
using Prometheus;

namespace Talm.KubeApi.Metrics;

/// <summary>
/// Requests the server answered, counted by <see cref="RequestKey"/>: whoever sends them (kubectl,
/// the operator in this process or in another), so that a component's cost is measured on the
/// server's side. Read in-process with <see cref="Snapshot"/>, or as Prometheus text on /metrics,
/// written by prometheus-net as the operator's metrics are (each server has a registry of its own).
/// </summary>
public sealed class RequestMetrics
{
    public const string MetricName = "apiserver_request_total";

    /// <summary>User-Agent values longer than this are cut, so one odd client cannot grow a label without bound.</summary>
    public const int MaxClientLength = 128;

    // Label order is the order a RequestKey is read back in (see Key).
    private static readonly string[] LabelNames = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "client", "code"];

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;

    public RequestMetrics()
    {
        _requests = Prometheus.Metrics.WithCustomRegistry(_registry).WithLabels(new Dictionary<string, string> { ["component"] = "apiserver" }).CreateCounter(
            MetricName,
            "Requests answered, by verb, dry run, group, version, resource, subresource, scope, component, client (User-Agent) and HTTP code.",
            new CounterConfiguration { LabelNames = LabelNames });
    }

    public void Record(RequestKey key) => _requests.WithLabels(Labels(key)).Inc();

    /// <summary>Every label set seen so far and its count (a copy; counting goes on).</summary>
    public IReadOnlyList<KeyValuePair<RequestKey, long>> Snapshot() =>
        [.. _requests.GetAllLabelValues().Select(v => new KeyValuePair<RequestKey, long>(Key(v), (long)_requests.WithLabels(v).Value))];

    /// <summary>The sum over the label sets that <paramref name="match"/> accepts.</summary>
    public long Count(Func<RequestKey, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return Snapshot().Where(e => match(e.Key)).Sum(e => e.Value);
    }

    /// <summary>The counters in the Prometheus text exposition format (version 0.0.4).</summary>
    public string Render()
    {
        using var buffer = new MemoryStream();
        _registry.CollectAndExportAsTextAsync(buffer).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The User-Agent as a label value: cut to <see cref="MaxClientLength"/>; empty when absent.</summary>
    public static string Client(string? userAgent)
    {
        var value = (userAgent ?? string.Empty).Trim();
        return value.Length <= MaxClientLength ? value : value[..MaxClientLength];
    }

    private static string[] Labels(RequestKey k) =>
        [k.Verb, k.DryRun, k.Group, k.Version, k.Resource, k.Subresource, k.Scope, k.Client, k.Code.ToString(CultureInfo.InvariantCulture)];

    private static RequestKey Key(string[] v) => new(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], int.Parse(v[8], CultureInfo.InvariantCulture));
}
