using System.Text.Json;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Http;

/// <summary>Store rows → response shapes.</summary>
public static class TaskViews
{
    public static TaskView From(TaskRow t) => new(
        t.TaskId, t.State, t.ClientId, t.ScheduleId, t.CodePath, t.DataPath,
        Time(t.CreatedAt), Time(t.DueAt), Time(t.PublishedAt), Time(t.StartedAt), Time(t.FinishedAt),
        t.Reason, t.DurationMs, t.ProgressStep, Done(t.DoneBody));

    public static ScheduleView From(ScheduleRow s) => new(
        s.ScheduleId, s.CodePath, s.DataPath, s.EverySeconds is { } n ? $"every {n} seconds" : null, s.Cron,
        s.NextFireAt == long.MaxValue || s.Deleted == 1 ? null : Time(s.NextFireAt), s.FiredCount, s.Deleted == 1);

    public static ClientView From(ClientRow c, string? apiKey = null) => new(c.ClientId, c.Tier, c.Enabled == 1, Time(c.CreatedAt), apiKey);

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
