using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Status;

/// <summary>
/// The status page: self-contained HTML documents (inline CSS, no scripts, no external assets). The list shows counts
/// per state (each a filter), then tasks with state, submit date, elapsed time of unfinished tasks, due time of
/// scheduled ones, duration, reason and the trace summary; it reloads itself every few seconds. A task's id opens its
/// detail: exit code, the head of stdout and stderr, and the trace summary field by field (whatever fields the worker
/// wrote). Every value shown is HTML-encoded.
/// </summary>
internal static class StatusPage
{
    /// <summary>Seconds between reloads.</summary>
    public const int RefreshSeconds = 2;

    private const string Style =
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24}h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}" +
        ".sub{color:#57606a;margin-bottom:12px}table{border-collapse:collapse;width:100%}" +
        "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top}th{background:#f6f8fa}" +
        ".s{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}" +
        ".success{background:#dafbe1;color:#116329}.error{background:#ffebe9;color:#a40e26}.rejected{background:#fff8c5;color:#7d4e00}" +
        ".queued,.scheduled{background:#ddf4ff;color:#0550ae}.running{background:#fbefff;color:#8250df}.skipped{background:#eaeef2;color:#57606a}" +
        ".counts a{margin-right:12px;text-decoration:none;color:#0969da}.counts a.on{font-weight:700;color:#1b1f24}" +
        "code{font-size:12px}h1 code{font-size:18px}td:nth-child(4),td:nth-child(5){white-space:nowrap}.m{color:#57606a;font-size:12px}pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;word-break:break-all;max-width:1100px}" +
        "dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dt{color:#57606a}dd{margin:0}";

    /// <summary>
    /// The list for <paramref name="who"/>: <paramref name="tasks"/> (newest first, done bodies for the trace summary),
    /// <paramref name="counts"/> per state; <paramref name="linkBase"/> (e.g. <c>/view/&lt;token&gt;</c>) makes ids and
    /// counts links, null leaves them plain (the page fetched with headers, where a browser could not follow them).
    /// </summary>
    public static string Render(string who, IReadOnlyList<TaskRow> tasks, DateTimeOffset now, IReadOnlyList<StateCount>? counts = null, string? state = null, string? linkBase = null)
    {
        var html = Head("Tasker status", refresh: true);
        html.Append("<h1>DataExchange Tasker</h1><div class=\"sub\">")
            .Append(E(who)).Append(" · ").Append(tasks.Count.ToString(CultureInfo.InvariantCulture)).Append(state is null ? " newest tasks" : " newest " + E(state) + " tasks").Append(" · ")
            .Append(E(Date(now))).Append(" · reloads every ").Append(RefreshSeconds.ToString(CultureInfo.InvariantCulture)).Append(" s</div>");
        if (counts is not null)
        {
            html.Append("<div class=\"counts\">");
            var total = counts.Sum(c => c.Tasks);
            Count(html, linkBase, null, "all", total, state is null);
            foreach (var s in ApiTaskStates.All)
            {
                Count(html, linkBase, s, s, counts.FirstOrDefault(c => c.State == s)?.Tasks ?? 0, state == s);
            }

            html.Append("</div>");
        }

        html.Append("<table><thead><tr><th>task</th><th>client</th><th>state</th><th>submitted</th><th>time</th><th>reason</th><th>trace summary</th></tr></thead><tbody>");
        foreach (var t in tasks)
        {
            var id = E(t.ClientTaskId ?? t.TaskId);
            html.Append("<tr><td><code>")
                .Append(linkBase is null ? id : $"<a href=\"{E(linkBase)}/tasks/{E(Uri.EscapeDataString(t.TaskId))}\">{id}</a>")
                .Append("</code><div class=\"m\">").Append(E(t.CodePath ?? "")).Append(" on ").Append(E(t.DataPath ?? "")).Append("</div></td>")
                .Append("<td>").Append(E(t.ClientId ?? "—")).Append("</td>")
                .Append("<td>").Append(Badge(t.State))
                .Append(t.State == ApiTaskStates.Running && t.ProgressStep is { } step ? "<div class=\"m\">" + E(step) + "</div>" : "")
                .Append("</td><td>").Append(E(Date(DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt)))).Append("</td>")
                .Append("<td>").Append(E(TimeColumn(t, now))).Append("</td>")
                .Append("<td>").Append(E(t.Reason ?? "")).Append("</td>")
                .Append("<td>").Append(E(TraceSummaryLine(t.DoneBody))).Append("</td></tr>");
        }

        if (tasks.Count == 0)
        {
            html.Append("<tr><td colspan=\"7\" class=\"m\">no tasks").Append(state is null ? " yet" : " in state " + E(state)).Append("</td></tr>");
        }

        return html.Append("</tbody></table></body></html>").ToString();
    }

    /// <summary>One task's page: its times, exit code, stdout and stderr heads, and trace summary; <paramref name="backLink"/> returns to the list.</summary>
    public static string RenderDetail(TaskRow t, DateTimeOffset now, string backLink)
    {
        var finished = t.FinishedAt is not null;
        var html = Head("Task " + (t.ClientTaskId ?? t.TaskId), refresh: !finished);
        html.Append("<div class=\"sub\"><a href=\"").Append(E(backLink)).Append("\">← all tasks</a></div>")
            .Append("<h1><code>").Append(E(t.ClientTaskId ?? t.TaskId)).Append("</code> ").Append(Badge(t.State)).Append("</h1><dl>");
        void Row(string name, string? value)
        {
            if (value is not null)
            {
                html.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(value)).Append("</dd>");
            }
        }

        Row("start message taskId", t.TaskId);
        Row("client", t.ClientId);
        Row("schedule", t.ScheduleId);
        Row("code", t.CodePath);
        Row("data", t.DataPath);
        Row("image", t.Image);
        Row("submitted", Date(DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt)));
        Row("due", t.State == ApiTaskStates.Scheduled ? Date(DateTimeOffset.FromUnixTimeMilliseconds(t.DueAt)) : null);
        Row("published", t.PublishedAt is { } p ? Date(DateTimeOffset.FromUnixTimeMilliseconds(p)) : null);
        Row("started", t.StartedAt is { } st ? Date(DateTimeOffset.FromUnixTimeMilliseconds(st)) : null);
        Row("finished", t.FinishedAt is { } f ? Date(DateTimeOffset.FromUnixTimeMilliseconds(f)) : null);
        Row("time", TimeColumn(t, now));
        Row("reason", t.Reason);
        Row("progress", t.ProgressStep);
        var summary = t.DoneBody is null ? null : Summary(t.DoneBody);
        Row("exit code", summary?.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? (finished ? "—" : null));
        Row("done messages", t.DoneCount > 1 ? t.DoneCount.ToString(CultureInfo.InvariantCulture) + " (the task ran more than once; the first is shown)" : null);
        html.Append("</dl>");
        if (summary is not null)
        {
            html.Append("<h2>stdout</h2><pre>").Append(E(summary.StdoutHead ?? "")).Append("</pre>")
                .Append("<h2>stderr</h2><pre>").Append(E(summary.StderrHead ?? "")).Append("</pre>")
                .Append("<h2>trace summary</h2>");
            if (summary.TraceSummary is { } trace)
            {
                html.Append("<dl>");
                foreach (var field in trace.EnumerateObject())
                {
                    html.Append("<dt>").Append(E(field.Name)).Append("</dt><dd>").Append(E(Describe(field.Value))).Append("</dd>");
                }

                html.Append("</dl>");
            }
            else
            {
                html.Append("<p class=\"m\">none in the done message</p>");
            }
        }
        else if (!finished)
        {
            html.Append("<p class=\"m\">not finished yet: the result appears here once its done message arrives (this page reloads every ")
                .Append(RefreshSeconds.ToString(CultureInfo.InvariantCulture)).Append(" s)</p>");
        }

        return html.Append("</body></html>").ToString();
    }

    /// <summary>The page <c>/</c> shows without credentials: how to get a link.</summary>
    public static string Instructions() =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tasker status</title>" +
        "<style>body{font:14px/1.5 system-ui,sans-serif;margin:24px;max-width:720px}code{background:#f6f8fa;padding:1px 4px}</style></head><body>" +
        "<h1>DataExchange Tasker</h1><p>The status page needs credentials. Ask for a read-only link and open it:</p>" +
        "<p><code>curl -H 'Authorization: Bearer &lt;api key&gt;' http://HOST/v1/view-url</code> (your tasks), or<br>" +
        "<code>curl -H 'X-Admin-Key: &lt;admin key&gt;' http://HOST/admin/view-url</code> (all tasks).</p>" +
        "<p>The API is described in <a href=\"/openapi.json\">/openapi.json</a>.</p></body></html>";

    /// <summary>
    /// "read 4 data files · wrote 3 files · no network · programs: python3, …" from a done message's traceSummary, then
    /// any other non-empty list it holds by its name and count (a field a newer worker adds shows up without a change here).
    /// </summary>
    public static string TraceSummaryLine(string? doneBody)
    {
        if (doneBody is null)
        {
            return "";
        }

        try
        {
            using var document = JsonDocument.Parse(doneBody);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("traceSummary", out var s) || s.ValueKind != JsonValueKind.Object)
            {
                return "";
            }

            int Count(string name) => s.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.GetArrayLength() : 0;
            var network = Count("networkAttempts");
            var programs = s.TryGetProperty("processes", out var p) && p.ValueKind == JsonValueKind.Array
                ? p.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String ? Path.GetFileName(path.GetString()) : null)
                    .Where(n => n is not null).Distinct().Take(4).ToList()
                : [];
            var line = string.Create(CultureInfo.InvariantCulture,
                $"read {Count("dataRead")} data files · wrote {Count("filesWritten")} files · {(network == 0 ? "no network" : network + " network attempts")} · programs: {(programs.Count == 0 ? "—" : string.Join(", ", programs))}");
            string[] known = ["dataRead", "filesWritten", "networkAttempts", "processes"];
            foreach (var field in s.EnumerateObject().Where(f => !known.Contains(f.Name) && f.Value.ValueKind == JsonValueKind.Array && f.Value.GetArrayLength() > 0))
            {
                line += string.Create(CultureInfo.InvariantCulture, $" · {field.Name}: {field.Value.GetArrayLength()}");
            }

            return line;
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static StringBuilder Head(string title, bool refresh)
    {
        var html = new StringBuilder(8192);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        if (refresh)
        {
            html.Append(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">");
        }

        return html.Append("<meta name=\"referrer\" content=\"no-referrer\"><title>").Append(E(title)).Append("</title><style>").Append(Style).Append("</style></head><body>");
    }

    private static void Count(StringBuilder html, string? linkBase, string? state, string label, long tasks, bool on)
    {
        var text = E(label) + " " + tasks.ToString(CultureInfo.InvariantCulture);
        if (linkBase is null)
        {
            html.Append("<span class=\"m\" style=\"margin-right:12px\">").Append(text).Append("</span>");
            return;
        }

        html.Append("<a").Append(on ? " class=\"on\"" : "").Append(" href=\"").Append(E(linkBase)).Append(state is null ? "" : "?state=" + state).Append("\">").Append(text).Append("</a>");
    }

    private static string Badge(string state) => $"<span class=\"s {E(state)}\">{E(state)}</span>";

    /// <summary>Finished: its duration; running or queued: for how long; scheduled: when it is due.</summary>
    private static string TimeColumn(TaskRow t, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        return t.State switch
        {
            ApiTaskStates.Scheduled => $"due {Date(DateTimeOffset.FromUnixTimeMilliseconds(t.DueAt))} (in {Elapsed(t.DueAt - nowMs)})",
            ApiTaskStates.Running => $"running for {Elapsed(nowMs - (t.StartedAt ?? t.PublishedAt ?? t.CreatedAt))}",
            ApiTaskStates.Queued => $"queued for {Elapsed(nowMs - t.CreatedAt)}",
            _ => t.DurationMs is { } ms ? ms.ToString("N0", CultureInfo.InvariantCulture) + " ms" : "",
        };
    }

    private static string Elapsed(long ms)
    {
        var span = TimeSpan.FromMilliseconds(Math.Max(0, ms));
        return span.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds} s")
            : span.TotalMinutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds} s")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes} min");
    }

    private static string Date(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static Http.TaskSummary? Summary(string doneBody)
    {
        try
        {
            using var document = JsonDocument.Parse(doneBody);
            return document.RootElement.ValueKind == JsonValueKind.Object ? Http.TaskViews.Summarize(document.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A trace summary field for the detail page: a list by its count and first items, anything else as JSON.</summary>
    private static string Describe(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        }

        var count = value.GetArrayLength();
        if (count == 0)
        {
            return "none";
        }

        var items = value.EnumerateArray().Take(20).Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText());
        return count.ToString(CultureInfo.InvariantCulture) + ": " + string.Join(" · ", items) + (count > 20 ? " · …" : "");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
