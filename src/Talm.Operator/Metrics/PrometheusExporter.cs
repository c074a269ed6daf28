using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Talm.Operator.Metrics;

/// <summary>
/// Listens to the instruments of the given meters and renders them in the Prometheus text
/// exposition format (version 0.0.4). Instrument names are used as metric names unchanged, so the
/// instruments carry controller-runtime's names.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, Family> _families = [];
    private readonly HashSet<string> _meters;

    public PrometheusExporter(params string[] meterNames)
    {
        _meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_meters.Contains(instrument.Meter.Name)) return;
            lock (_gate) _families[instrument] = new Family(instrument, BucketsOf(instrument));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_gate) _families.Remove(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public string Render()
    {
        Family[] families;
        lock (_gate)
        {
            foreach (var f in _families.Values)
                if (f.Observable) f.Series.Clear();
            families = [.. _families.Values];
        }
        // Observable instruments report their current values now, into the cleared series.
        _listener.RecordObservableInstruments();

        var text = new StringBuilder();
        foreach (var family in families.OrderBy(f => f.Name, StringComparer.Ordinal))
            family.Write(text);
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Family? family;
        lock (_gate) _families.TryGetValue(instrument, out family);
        family?.Record(value, LabelsOf(tags));
    }

    private static string LabelsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = tags.ToArray();
        Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return string.Join(",", pairs.Select(p => $"{p.Key}=\"{Escape(Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "")}\""));
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
             .Replace("\"", "\\\"", StringComparison.Ordinal)
             .Replace("\n", "\\n", StringComparison.Ordinal);

    private static double[]? BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray() ?? DefaultBuckets,
        Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray() ?? DefaultBuckets,
        _ => null,
    };

    internal static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Family(Instrument instrument, double[]? buckets)
    {
        private readonly Lock _gate = new();

        public string Name { get; } = instrument.Name;
        public bool Observable { get; } = instrument.IsObservable;
        public Dictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);

        private string Type => instrument switch
        {
            _ when buckets is not null => "histogram",
            Counter<long> or Counter<int> or Counter<double> => "counter",
            ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => "counter",
            _ => "gauge",
        };

        public void Record(double value, string labels)
        {
            lock (_gate)
            {
                if (!Series.TryGetValue(labels, out var series))
                    Series[labels] = series = new Series(buckets?.Length ?? 0);
                if (buckets is not null)
                {
                    series.Count++;
                    series.Sum += value;
                    for (var i = 0; i < buckets.Length; i++)
                        if (value <= buckets[i]) series.Buckets[i]++;
                }
                else if (Observable || instrument is ObservableGauge<long> or ObservableGauge<double>)
                {
                    series.Sum = value; // observable instruments report totals, not deltas
                }
                else
                {
                    series.Sum += value;
                }
            }
        }

        public void Write(StringBuilder text)
        {
            lock (_gate)
            {
                text.Append("# HELP ").Append(Name).Append(' ').Append(instrument.Description ?? Name).Append('\n');
                text.Append("# TYPE ").Append(Name).Append(' ').Append(Type).Append('\n');
                foreach (var (labels, series) in Series.OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    if (buckets is null)
                    {
                        Line(text, Name, labels, series.Sum);
                        continue;
                    }
                    for (var i = 0; i < buckets.Length; i++)
                        Line(text, Name + "_bucket", Join(labels, $"le=\"{Number(buckets[i])}\""), series.Buckets[i]);
                    Line(text, Name + "_bucket", Join(labels, "le=\"+Inf\""), series.Count);
                    Line(text, Name + "_sum", labels, series.Sum);
                    Line(text, Name + "_count", labels, series.Count);
                }
            }
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static void Line(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0) text.Append('{').Append(labels).Append('}');
            text.Append(' ').Append(Number(value)).Append('\n');
        }
    }

    private sealed class Series(int buckets)
    {
        public long[] Buckets { get; } = new long[buckets];
        public long Count { get; set; }
        public double Sum { get; set; }
    }
}
