using System.Text.Json;
using System.Text.Json.Serialization;

namespace DataExchangeTasker.Api.Http;

/// <summary>Every 4xx (and 5xx) body: what was wrong, in which field, with which value, and what was expected.</summary>
public sealed record ApiError(string Error, string? Field, JsonElement? Value, string? Expected);

/// <summary>Answer of <c>POST /v1/tasks</c>.</summary>
public sealed record SubmitResponse(string TaskId, string State);

/// <summary>One task; <see cref="Done"/> is the done message once it finished (absent from lists).</summary>
public sealed record TaskView(
    string TaskId, string State, string? ClientId, string? ScheduleId, string? CodePath, string? DataPath,
    DateTimeOffset SubmittedAt, DateTimeOffset DueAt, DateTimeOffset? PublishedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? Reason, long? DurationMs, string? ProgressStep, JsonElement? Done);

/// <summary>A page of tasks, newest first; pass <see cref="Next"/> as <c>after</c> for the next page (null: last page).</summary>
public sealed record TaskPage(IReadOnlyList<TaskView> Tasks, string? Next);

/// <summary>A schedule; <see cref="NextFireAt"/> is null once it fires no more.</summary>
public sealed record ScheduleView(string ScheduleId, string CodePath, string DataPath, string? Every, string? Cron, DateTimeOffset? NextFireAt, long FiredCount, bool Deleted);

/// <summary>A client; <see cref="ApiKey"/> only in the answer that created it.</summary>
public sealed record ClientView(
    string ClientId, string Tier, bool Enabled, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApiKey = null);

/// <summary>Answer of the cancel endpoint: <c>requested</c> (published to the workers) or <c>cancelled</c> (never published).</summary>
public sealed record CancelResponse(string TaskId, string Cancel);

/// <summary>A read-only status page link.</summary>
public sealed record ViewUrl(string Url);

/// <summary>Health: overall status and each component's.</summary>
public sealed record HealthView(string Status, IReadOnlyDictionary<string, string> Components);

/// <summary><c>/version</c>.</summary>
public sealed record VersionView(string Version, string Store);

/// <summary>What an idempotent resubmit is compared on (its SHA-256).</summary>
public sealed record NormalizedSubmission(string CodePath, string DataPath, string? ETag, Protocol.TaskLimits? Limits, int DelaySeconds);
