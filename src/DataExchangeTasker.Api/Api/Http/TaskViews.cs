using System.Text.Json;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Http;

/// <summary>Store rows → response shapes.</summary>
internal static class TaskViews
{
    /// <summary>How much of stdout and stderr a summary shows.</summary>
    public const int HeadCharacters = 1000;

    public static TaskView From(TaskRow t)
    {
        var done = Done(t.DoneBody);
        var summary = done is { } d ? Summarize(d) : null;
        var id = Uri.EscapeDataString(t.ClientTaskId ?? t.TaskId);
        return new(
            t.ClientTaskId ?? t.TaskId, t.State, t.ClientId, t.ScheduleId, t.CodePath, t.DataPath,
            Time(t.CreatedAt), Time(t.DueAt), Time(t.PublishedAt), Time(t.StartedAt), Time(t.FinishedAt),
            t.Reason, t.DurationMs, t.ProgressStep, done, t.DoneCount, t.TaskId, t.Image, summary,
            new TaskLinks("/v1/tasks/" + id, summary is { HasTrace: true } ? "/v1/tasks/" + id + "/trace" : null));
    }

    public static ScheduleView From(ScheduleRow s) => new(
        s.ScheduleId, s.ClientId, s.CodePath, s.DataPath, s.EverySeconds is { } n ? $"every {n} seconds" : null, s.Cron,
        s.NextFireAt == long.MaxValue || s.Deleted == 1 ? null : Time(s.NextFireAt), s.FiredCount, s.SkippedCount, s.Deleted == 1, s.Image);

    public static ClientView From(ClientRow c, string? apiKey = null) => new(c.ClientId, c.Tier, c.Enabled == 1, Time(c.CreatedAt), apiKey);

    /// <summary>The short form of a done message (tolerant: absent or odd fields are null).</summary>
    public static TaskSummary Summarize(JsonElement done)
    {
        int? exitCode = done.TryGetProperty("exitCode", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var code) ? code : null;
        var output = done.TryGetProperty("containerOutput", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
        JsonElement? trace = done.TryGetProperty("traceSummary", out var ts) && ts.ValueKind == JsonValueKind.Object ? ts.Clone() : null;
        var hasTrace = output.ValueKind == JsonValueKind.Object && output.TryGetProperty("strace", out var st) && st.ValueKind == JsonValueKind.String && st.GetString()!.Length > 0;
        return new TaskSummary(exitCode, Head(output, "stdout"), Head(output, "stderr"), trace, hasTrace);
    }

    /// <summary>The strace text of a done message, or null.</summary>
    public static string? Trace(string? doneBody)
    {
        if (Done(doneBody) is not { } done)
        {
            return null;
        }

        return done.TryGetProperty("containerOutput", out var o) && o.ValueKind == JsonValueKind.Object &&
               o.TryGetProperty("strace", out var st) && st.ValueKind == JsonValueKind.String ? st.GetString() : null;
    }

    private static string? Head(JsonElement output, string name)
    {
        if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty(name, out var e) || e.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = e.GetString()!;
        if (text.Length <= HeadCharacters)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[HeadCharacters - 1]) ? HeadCharacters - 1 : HeadCharacters;
        return text[..cut] + "…";
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);

    private static JsonElement? Done(string? body)
    {
        if (body is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
