using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace DataExchangeTasker.Health;

/// <summary>
/// Aggregates the tasker's <see cref="Meter"/> in process and renders the Prometheus text format
/// (prometheus-net is not available here). Counters and up-down counters are sums per tag set; histograms
/// get fixed second buckets.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), double> _sums = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), HistogramState> _histograms = new();
    private readonly ConcurrentDictionary<string, (string Type, string Help)> _meta = new(StringComparer.Ordinal);

    public PrometheusExporter(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == meter)
            {
                var type = instrument is Histogram<double> ? "histogram" : instrument.GetType().Name.StartsWith("UpDown", StringComparison.Ordinal) ? "gauge" : "counter";
                _meta[Name(instrument)] = (type, instrument.Description ?? "");
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Renders every metric, then the gauges <paramref name="extra"/> adds (health, build info).</summary>
    public string Render(Action<StringBuilder>? extra = null)
    {
        var text = new StringBuilder();
        foreach (var (name, (type, help)) in _meta.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            if (type == "histogram")
            {
                foreach (var ((_, labels), h) in _histograms.Where(h => h.Key.Name == name))
                {
                    h.Render(text, name, labels);
                }
            }
            else
            {
                foreach (var ((_, labels), value) in _sums.Where(s => s.Key.Name == name))
                {
                    Sample(text, name + (type == "counter" ? "_total" : ""), labels, value);
                }
            }
        }

        extra?.Invoke(text);
        return text.ToString();
    }

    /// <summary>Appends one sample line.</summary>
    public static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ')
            .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        if (instrument is Histogram<double>)
        {
            _histograms.GetOrAdd((Name(instrument), labels), _ => new HistogramState()).Add(value);
        }
        else
        {
            _sums.AddOrUpdate((Name(instrument), labels), value, (_, old) => old + value);
        }
    }

    private static string Name(Instrument instrument) => instrument.Name.Replace('.', '_').Replace('-', '_');

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>(tags.Length);
        foreach (var tag in tags)
        {
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
            parts.Add($"{tag.Key}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }

        parts.Sort(StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private sealed class HistogramState
    {
        private readonly Lock _gate = new();
        private readonly long[] _counts = new long[Buckets.Length];
        private long _count;
        private double _sum;

        public void Add(double value)
        {
            lock (_gate)
            {
                _count++;
                _sum += value;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    if (value <= Buckets[i])
                    {
                        _counts[i]++;
                    }
                }
            }
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            lock (_gate)
            {
                var prefix = labels.Length > 0 ? labels + "," : "";
                for (var i = 0; i < Buckets.Length; i++)
                {
                    Sample(text, name + "_bucket", prefix + "le=\"" + Buckets[i].ToString(CultureInfo.InvariantCulture) + "\"", _counts[i]);
                }

                Sample(text, name + "_bucket", prefix + "le=\"+Inf\"", _count);
                Sample(text, name + "_sum", labels, _sum);
                Sample(text, name + "_count", labels, _count);
            }
        }
    }
}
