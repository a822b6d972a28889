using System.Net;
using System.Text;
using System.Text.Json;
using ILogger = Serilog.ILogger;

namespace DataExchangeTasker.Health;

/// <summary>
/// The operator's HTTP surface: <c>/health</c>, <c>/health/live</c>, <c>/health/ready</c>, <c>/health/detailed</c>,
/// <c>/version</c> and <c>/metrics</c> (Prometheus text). Six GET endpoints do not need a web framework:
/// <see cref="HttpListener"/> keeps the process about 15 MB smaller and faster to start than Kestrel.
/// </summary>
public sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly PrometheusExporter _exporter;
    private readonly HealthState _health;
    private readonly ILogger _log;
    private readonly Task _serving;

    private HttpEndpoint(HttpListener listener, PrometheusExporter exporter, HealthState health, ILogger log)
    {
        _listener = listener;
        _exporter = exporter;
        _health = health;
        _log = log;
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>Starts listening on <paramref name="bind"/> (<c>host:port</c>; <c>0.0.0.0</c> for every interface).</summary>
    public static Task<HttpEndpoint> StartAsync(string bind, HealthState health, TaskMetrics metrics, ILogger log, CancellationToken cancellationToken)
    {
        var colon = bind.LastIndexOf(':');
        var host = bind[..colon].Trim('[', ']');
        var port = bind[(colon + 1)..];
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://{(host is "0.0.0.0" or "*" or "" ? "+" : host)}:{port}/");
        listener.Start();
        log.Information("Health and metrics on http://{Bind:l}/ (/health, /health/ready, /metrics)", bind);
        return Task.FromResult(new HttpEndpoint(listener, new PrometheusExporter(metrics.Meter), health, log));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            try
            {
                await RespondAsync(context).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                _log.Debug("HTTP request failed: {Error}", e.Message);
            }
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var ready = _health.IsReady;
        var (status, type, body) = (context.Request.HttpMethod, context.Request.Url?.AbsolutePath.TrimEnd('/')) switch
        {
            ("GET", "/health" or "/health/ready") => (ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n"),
            ("GET", "/health/live") => (200, "text/plain", "live\n"),
            ("GET", "/health/detailed") => (ready ? 200 : 503, "application/json", Detailed(_health)),
            ("GET", "/version") => (200, "application/json", $"{{\"version\":\"{ThisAssembly.Version}\"}}"),
            ("GET", "/metrics") => (200, "text/plain; version=0.0.4", _exporter.Render(t => HealthGauges(t, _health))),
            ("GET", _) => (404, "text/plain", "not found: try /health, /health/ready, /health/detailed, /metrics, /version\n"),
            _ => (405, "text/plain", "only GET\n"),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = type + "; charset=utf-8";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        context.Response.Close();
    }
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
        _listener.Stop();
        _listener.Close();
        await _serving.ConfigureAwait(false);
        _exporter.Dispose();
    }
}
