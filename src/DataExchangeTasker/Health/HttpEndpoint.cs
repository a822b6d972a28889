using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ILogger = Serilog.ILogger;

namespace DataExchangeTasker.Health;

/// <summary>
/// The operator's HTTP surface on Kestrel: <c>/health</c>, <c>/health/live</c>, <c>/health/ready</c>,
/// <c>/health/detailed</c>, <c>/version</c> and <c>/metrics</c> (Prometheus text).
/// </summary>
public sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PrometheusExporter _exporter;

    private HttpEndpoint(WebApplication app, PrometheusExporter exporter)
    {
        _app = app;
        _exporter = exporter;
    }

    /// <summary>The address it listens on, e.g. <c>http://127.0.0.1:9432</c>.</summary>
    public string Address => _app.Urls.FirstOrDefault() ?? "";

    /// <summary>Starts listening on <paramref name="bind"/> (<c>host:port</c>).</summary>
    public static async Task<HttpEndpoint> StartAsync(string bind, HealthState health, TaskMetrics metrics, ILogger log, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var colon = bind.LastIndexOf(':');
        var host = bind[..colon].Trim('[', ']');
        var port = int.Parse(bind[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (host is "0.0.0.0" or "*" or "")
            {
                k.ListenAnyIP(port);
            }
            else
            {
                k.Listen(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host), port);
            }
        });
        var app = builder.Build();
        var exporter = new PrometheusExporter(metrics.Meter);
        app.MapGet("/health", () => Status(health.IsReady, health.IsReady ? "ready" : "not ready"));
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", () => Status(health.IsReady, health.IsReady ? "ready" : "not ready"));
        app.MapGet("/health/detailed", () => Results.Text(Detailed(health), "application/json", Encoding.UTF8, health.IsReady ? 200 : 503));
        app.MapGet("/version", () => Results.Text($"{{\"version\":\"{ThisAssembly.Version}\"}}", "application/json"));
        app.MapGet("/metrics", () => Results.Text(exporter.Render(t => HealthGauges(t, health)), "text/plain; version=0.0.4", Encoding.UTF8));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        log.Information("Health and metrics on http://{Bind}/ (/health, /health/ready, /metrics)", bind);
        return new HttpEndpoint(app, exporter);
    }

    private static IResult Status(bool ok, string text) => Results.Text(text + "\n", "text/plain", Encoding.UTF8, ok ? 200 : 503);

    private static string Detailed(HealthState health)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", health.IsReady ? "ready" : "not ready");
            json.WriteBoolean("draining", health.Draining);
            json.WriteString("version", ThisAssembly.Version);
            json.WriteNumber("uptimeSeconds", (long)(DateTimeOffset.UtcNow - health.StartedAt).TotalSeconds);
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

    private static void HealthGauges(StringBuilder text, HealthState health)
    {
        foreach (var (component, metric) in new[] { (HealthState.Broker, "tasker_broker_up"), (HealthState.Engine, "tasker_engine_up"), (HealthState.Consumer, "tasker_queue_consumer_up"), (HealthState.Image, "tasker_runner_image_present") })
        {
            text.Append("# TYPE ").Append(metric).Append(" gauge\n");
            PrometheusExporter.Sample(text, metric, "", health.IsUp(component) ? 1 : 0);
        }

        text.Append("# TYPE tasker_ready gauge\n");
        PrometheusExporter.Sample(text, "tasker_ready", "", health.IsReady ? 1 : 0);
        text.Append("# TYPE tasker_build_info gauge\n");
        PrometheusExporter.Sample(text, "tasker_build_info", $"version=\"{ThisAssembly.Version}\"", 1);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _exporter.Dispose();
    }
}
