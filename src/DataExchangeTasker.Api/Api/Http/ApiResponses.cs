using System.Text.Json;
using System.Text.Json.Serialization;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Api.Http;

/// <summary>Every 4xx (and 5xx) body: what was wrong, in which field, with which value, and what was expected.</summary>
internal sealed record ApiError(string Error, string? Field, JsonElement? Value, string? Expected);

/// <summary>Answer of <c>POST /v1/tasks</c>.</summary>
internal sealed record SubmitResponse(string TaskId, string State);

/// <summary>
/// One task. <see cref="TaskId"/> is the client's id for it; <see cref="StartTaskId"/> the start message's (what
/// workers, done messages and cancels use). <see cref="Done"/> is the done message once it finished (absent from
/// lists; <c>?fields=</c> leaves it out), <see cref="Summary"/> its short form.
/// </summary>
internal sealed record TaskView(
    string TaskId, string State, string? ClientId, string? ScheduleId, string? CodePath, string? DataPath,
    DateTimeOffset SubmittedAt, DateTimeOffset DueAt, DateTimeOffset? PublishedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? Reason, long? DurationMs, string? ProgressStep, JsonElement? Done, long DoneCount, string StartTaskId, string? Image,
    TaskSummary? Summary, TaskLinks Links);

/// <summary>
/// The short form of a done message: exit code, the first lines of stdout and stderr, the trace summary as the worker
/// wrote it (its fields are the worker's), and whether a trace is there to fetch.
/// </summary>
internal sealed record TaskSummary(int? ExitCode, string? StdoutHead, string? StderrHead, JsonElement? TraceSummary, bool HasTrace);

/// <summary>Where to read more of a task.</summary>
/// <param name="Self">This task.</param>
/// <param name="Trace">Its strace output (text/plain), once its done message has one.</param>
internal sealed record TaskLinks(string Self, string? Trace);

/// <summary>A page of tasks, newest first; pass <see cref="Next"/> as <c>after</c> for the next page (null: last page).</summary>
internal sealed record TaskPage(IReadOnlyList<TaskView> Tasks, string? Next);

/// <summary>A schedule; <see cref="NextFireAt"/> is null once it fires no more; <see cref="SkippedCount"/> counts runs over the client's tier.</summary>
internal sealed record ScheduleView(string ScheduleId, string? ClientId, string CodePath, string DataPath, string? Every, string? Cron, DateTimeOffset? NextFireAt,
    long FiredCount, long SkippedCount, bool Deleted, string? Image);

/// <summary>Answer of <c>GET /v1/schedules</c>.</summary>
internal sealed record SchedulePage(IReadOnlyList<ScheduleView> Schedules);

/// <summary>A client; <see cref="ApiKey"/> only in the answer that created it.</summary>
internal sealed record ClientView(
    string ClientId, string Tier, bool Enabled, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApiKey = null);

/// <summary>Answer of the cancel endpoint: <c>requested</c> (published to the workers) or <c>cancelled</c> (never published).</summary>
internal sealed record CancelResponse(string TaskId, string Cancel);

/// <summary>A read-only status page link.</summary>
internal sealed record ViewUrl(string Url);

/// <summary>Health: overall status and each component's.</summary>
internal sealed record HealthView(string Status, IReadOnlyDictionary<string, string> Components);

/// <summary><c>/version</c>: also the store's identity and the copy queue of done messages it consumes.</summary>
internal sealed record VersionView(string Version, string Store, string StoreId, string DoneCopyQueue);

/// <summary>What an idempotent resubmit is compared on (its SHA-256).</summary>
internal sealed record NormalizedSubmission(
    string CodePath, string DataPath, string? ETag, Protocol.TaskLimits? Limits, int DelaySeconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Image = null);
