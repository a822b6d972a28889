using System.Text;
using System.Text.Json;

namespace DataExchangeTasker.Health;

/// <summary>How <see cref="HealthState"/> is shown: the detailed JSON document and the Prometheus gauges.</summary>
internal static class HealthReport
{
    /// <summary>The <c>/health/detailed</c> JSON: overall status and each component with its last error.</summary>
    public static string Detailed(HealthState health)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", health.IsReady ? "ready" : "not ready");
            json.WriteBoolean("draining", health.Draining);
            json.WriteString("version", ThisAssembly.Version);
            json.WriteNumber("uptimeSeconds", (long)health.Uptime.TotalSeconds);
            json.WriteStartObject("components");
            foreach (var (name, c) in health.Snapshot())
            {
                json.WriteStartObject(name);
                json.WriteString("status", c.Up ? "up" : "down");
                json.WriteString("detail", c.Detail);
                json.WriteString("checkedAt", c.CheckedAt);
                json.WriteString("lastError", c.LastError);
                if (c.LastErrorAt is { } at)
                {
                    json.WriteString("lastErrorAt", at);
                }
                else
                {
                    json.WriteNull("lastErrorAt");
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Appends the health gauges and build info to a Prometheus exposition.</summary>
    public static void Gauges(StringBuilder text, HealthState health)
    {
        foreach (var (component, metric) in new[] { (HealthState.Broker, "tasker_broker_up"), (HealthState.Engine, "tasker_engine_up"), (HealthState.Consumer, "tasker_queue_consumer_up"), (HealthState.Image, "tasker_runner_image_present"), (HealthState.Results, "tasker_results_writable") })
        {
            text.Append("# TYPE ").Append(metric).Append(" gauge\n");
            PrometheusExporter.Sample(text, metric, "", (component == HealthState.Results ? health.IsNotDown(component) : health.IsUp(component)) ? 1 : 0);
        }

        text.Append("# TYPE tasker_ready gauge\n");
        PrometheusExporter.Sample(text, "tasker_ready", "", health.IsReady ? 1 : 0);
        text.Append("# TYPE tasker_build_info gauge\n");
        PrometheusExporter.Sample(text, "tasker_build_info", $"version=\"{ThisAssembly.Version}\"", 1);
    }
}
