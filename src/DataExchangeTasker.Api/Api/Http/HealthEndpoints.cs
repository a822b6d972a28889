using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>
/// The worker's health set for the api: <c>/health</c> = <c>/health/ready</c> (store answers, broker connected, done
/// consumer subscribed, not stopping; 503 naming what is not), <c>/health/live</c> (answers as soon as HTTP is up), <c>/health/detailed</c>, <c>/metrics</c> (Prometheus text,
/// with per-client task counts), <c>/version</c>, and <c>/openapi.json</c>. Unauthenticated, like the worker's.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(WebApplication app, ApiServices services)
    {
        app.MapGet("/health/live", () => Results.Json(new HealthView("live", new Dictionary<string, string>()), ApiJson.Context.HealthView));
        app.MapGet("/health", (Func<HttpContext, Task<IResult>>)(context => ReadyAsync(context, services)));
        app.MapGet("/health/ready", (Func<HttpContext, Task<IResult>>)(context => ReadyAsync(context, services)));
        app.MapGet("/health/detailed", (Func<HttpContext, Task<IResult>>)(context => ReadyAsync(context, services)));
        app.MapGet("/version", () => Results.Json(new VersionView(ThisAssembly.Version, services.Store.Kind, services.StoreId, services.DoneCopyQueue), ApiJson.Context.VersionView));
        app.MapGet("/metrics", (Func<HttpContext, Task<IResult>>)(context => MetricsAsync(context, services)));
        app.MapGet("/openapi.json", () =>
        {
            var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("openapi.json")!;
            return Results.Stream(stream, "application/json");
        });
    }

    private static async Task<IResult> ReadyAsync(HttpContext context, ApiServices services)
    {
        var store = await services.Store.PingAsync(context.RequestAborted).ConfigureAwait(false);
        var h = services.Health;
        var components = new Dictionary<string, string>
        {
            ["store"] = store ? $"up ({services.Store.Kind})" : "down: " + (h.StoreError ?? "no answer"),
            ["broker"] = h.Broker,
            ["doneConsumer"] = h.DoneConsumerUp ? "subscribed to " + services.DoneCopyQueue : "not subscribed",
            ["progressConsumer"] = h.ProgressConsumerUp ? "subscribed" : "not subscribed",
            ["draining"] = h.Draining ? "yes" : "no",
        };
        var ready = store && h.BrokerUp && h.DoneConsumerUp && !h.Draining;
        return Results.Json(new HealthView(ready ? "ready" : "not ready", components), ApiJson.Context.HealthView, statusCode: ready ? 200 : 503);
    }

    private static async Task<IResult> MetricsAsync(HttpContext context, ApiServices services)
    {
        var m = services.Metrics;
        var text = new StringBuilder();
        void Line(string s) => text.Append(s).Append('\n');
        string L(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        string N(long n) => n.ToString(CultureInfo.InvariantCulture);

        Line("# HELP tasker_api_responses_total HTTP responses by status code.");
        Line("# TYPE tasker_api_responses_total counter");
        foreach (var (code, count) in m.Responses.OrderBy(kv => kv.Key))
        {
            Line($"tasker_api_responses_total{{code=\"{code}\"}} {N(count)}");
        }

        Line("# HELP tasker_api_submitted_total Tasks submitted through this process, per client.");
        Line("# TYPE tasker_api_submitted_total counter");
        foreach (var (client, count) in m.SubmittedByClient.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Line($"tasker_api_submitted_total{{client=\"{L(client)}\"}} {N(count)}");
        }

        Line("# HELP tasker_api_tasks Tasks in the store, per client and state (client \"\" = not submitted through the api).");
        Line("# TYPE tasker_api_tasks gauge");
        var storeUp = true;
        try
        {
            foreach (var c in (await services.Store.CountTasksAsync(context.RequestAborted).ConfigureAwait(false)).OrderBy(c => c.ClientId, StringComparer.Ordinal).ThenBy(c => c.State, StringComparer.Ordinal))
            {
                Line($"tasker_api_tasks{{client=\"{L(c.ClientId ?? "")}\",state=\"{L(c.State)}\"}} {N(c.Tasks)}");
            }
        }
        catch (Store.StoreUnavailableException)
        {
            storeUp = false;
        }

        void Counter(string name, string help, long value)
        {
            Line($"# HELP {name} {help}");
            Line($"# TYPE {name} counter");
            Line($"{name} {N(value)}");
        }

        Counter("tasker_api_done_stored_total", "Done messages stored.", m.DoneStoredCount);
        Counter("tasker_api_done_duplicates_total", "Done messages received again (already stored) and dropped.", m.DoneDuplicateCount);
        Counter("tasker_api_done_unusable_total", "Done-queue messages without a usable taskId or state, dropped.", m.DoneUnusableCount);
        Counter("tasker_api_done_unknown_total", "Done messages of tasks this store does not know (another store's or publisher's), not stored.", m.DoneUnknownCount);
        Counter("tasker_api_unanswered_total", "Published tasks ended error/no_answer: no done message within their time limit and TASKER_API_ANSWER_GRACE.", m.UnansweredCount);
        Counter("tasker_api_schedule_skips_total", "Schedule runs skipped by this process: the client was over its tier's rate or concurrency, or disabled.", m.ScheduleSkipCount);
        Counter("tasker_api_progress_total", "Progress messages that marked a task running.", m.ProgressCount);
        Counter("tasker_api_published_total", "Start messages confirmed by the broker.", m.PublishedCount);
        Counter("tasker_api_publish_failures_total", "Start messages not confirmed in time (kept and retried).", m.PublishFailureCount);
        Counter("tasker_api_schedule_firings_total", "Schedule periods fired by this process.", m.ScheduleFiringCount);
        Line("# TYPE tasker_api_broker_up gauge");
        Line($"tasker_api_broker_up {(services.Health.BrokerUp ? 1 : 0)}");
        Line("# TYPE tasker_api_store_up gauge");
        Line($"tasker_api_store_up {(storeUp ? 1 : 0)}");
        Line("# TYPE tasker_api_build_info gauge");
        Line($"tasker_api_build_info{{version=\"{L(ThisAssembly.Version)}\",store=\"{services.Store.Kind}\"}} 1");
        return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }
}
