using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Status;

/// <summary>
/// The status page: one self-contained HTML document (inline CSS, no scripts, no external assets) listing tasks with
/// state, duration, reason and the trace summary once there is one; it reloads itself every few seconds. Every value
/// shown is HTML-encoded.
/// </summary>
public static class StatusPage
{
    /// <summary>Seconds between reloads.</summary>
    public const int RefreshSeconds = 2;

    /// <summary>The page for <paramref name="who"/> with <paramref name="tasks"/> (newest first).</summary>
    public static string Render(string who, IReadOnlyList<TaskRow> tasks, DateTimeOffset now)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">")
            .Append("<meta name=\"referrer\" content=\"no-referrer\"><title>Tasker status</title><style>")
            .Append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24}h1{font-size:20px;margin:0 0 4px}")
            .Append(".sub{color:#57606a;margin-bottom:16px}table{border-collapse:collapse;width:100%}")
            .Append("th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top}th{background:#f6f8fa}")
            .Append(".s{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}")
            .Append(".success{background:#dafbe1;color:#116329}.error{background:#ffebe9;color:#a40e26}.rejected{background:#fff8c5;color:#7d4e00}")
            .Append(".queued,.scheduled{background:#ddf4ff;color:#0550ae}.running{background:#fbefff;color:#8250df}")
            .Append("code{font-size:12px}.m{color:#57606a;font-size:12px}</style></head><body>")
            .Append("<h1>DataExchange Tasker</h1><div class=\"sub\">")
            .Append(E(who)).Append(" · ").Append(tasks.Count.ToString(CultureInfo.InvariantCulture)).Append(" newest tasks · ")
            .Append(E(now.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)))
            .Append(" · reloads every ").Append(RefreshSeconds.ToString(CultureInfo.InvariantCulture)).Append(" s</div>")
            .Append("<table><thead><tr><th>task</th><th>client</th><th>state</th><th>submitted</th><th>duration</th><th>reason</th><th>trace summary</th></tr></thead><tbody>");
        foreach (var t in tasks)
        {
            html.Append("<tr><td><code>").Append(E(t.TaskId)).Append("</code><div class=\"m\">")
                .Append(E(t.CodePath ?? "")).Append(" on ").Append(E(t.DataPath ?? "")).Append("</div></td>")
                .Append("<td>").Append(E(t.ClientId ?? "—")).Append("</td>")
                .Append("<td><span class=\"s ").Append(E(t.State)).Append("\">").Append(E(t.State)).Append("</span>")
                .Append(t.State == ApiTaskStates.Running && t.ProgressStep is { } step ? "<div class=\"m\">" + E(step) + "</div>" : "")
                .Append("</td><td>").Append(E(DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt).ToString("HH:mm:ss", CultureInfo.InvariantCulture))).Append("</td>")
                .Append("<td>").Append(t.DurationMs is { } ms ? E(ms.ToString("N0", CultureInfo.InvariantCulture) + " ms") : "").Append("</td>")
                .Append("<td>").Append(E(t.Reason ?? "")).Append("</td>")
                .Append("<td>").Append(E(TraceSummaryLine(t.DoneBody))).Append("</td></tr>");
        }

        if (tasks.Count == 0)
        {
            html.Append("<tr><td colspan=\"7\" class=\"m\">no tasks yet</td></tr>");
        }

        return html.Append("</tbody></table></body></html>").ToString();
    }

    /// <summary>The page <c>/</c> shows without credentials: how to get a link.</summary>
    public static string Instructions() =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tasker status</title>" +
        "<style>body{font:14px/1.5 system-ui,sans-serif;margin:24px;max-width:720px}code{background:#f6f8fa;padding:1px 4px}</style></head><body>" +
        "<h1>DataExchange Tasker</h1><p>The status page needs credentials. Ask for a read-only link and open it:</p>" +
        "<p><code>curl -H 'Authorization: Bearer &lt;api key&gt;' http://HOST/v1/view-url</code> (your tasks), or<br>" +
        "<code>curl -H 'X-Admin-Key: &lt;admin key&gt;' http://HOST/admin/view-url</code> (all tasks).</p>" +
        "<p>The API is described in <a href=\"/openapi.json\">/openapi.json</a>.</p></body></html>";

    /// <summary>"read 4 data files · wrote 3 files · no network · 2 programs (python3, …)" from a done message's traceSummary.</summary>
    public static string TraceSummaryLine(string? doneBody)
    {
        if (doneBody is null)
        {
            return "";
        }

        try
        {
            using var document = JsonDocument.Parse(doneBody);
            if (!document.RootElement.TryGetProperty("traceSummary", out var s) || s.ValueKind != JsonValueKind.Object)
            {
                return "";
            }

            int Count(string name) => s.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.GetArrayLength() : 0;
            var network = Count("networkAttempts");
            var programs = s.TryGetProperty("processes", out var p) && p.ValueKind == JsonValueKind.Array
                ? p.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String ? Path.GetFileName(path.GetString()) : null)
                    .Where(n => n is not null).Distinct().Take(4).ToList()
                : [];
            return string.Create(CultureInfo.InvariantCulture,
                $"read {Count("dataRead")} data files · wrote {Count("filesWritten")} files · {(network == 0 ? "no network" : network + " network attempts")} · programs: {(programs.Count == 0 ? "—" : string.Join(", ", programs))}");
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
