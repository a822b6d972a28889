using System.Text.Json;
using DataExchangeTasker.Api.Schedules;
using DataExchangeTasker.Protocol;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>
/// Reads and validates a <c>POST /v1/tasks</c> or <c>POST /v1/schedules</c> request; the first problem becomes an
/// <see cref="ApiError"/> naming the field, the value and what was expected. Unknown fields are ignored, as in the
/// start message protocol. Whether the paths exist is the worker's question (answered as a rejected task).
/// </summary>
internal static class SubmissionReader
{
    /// <summary>
    /// A submitting request from start to a submission: the caller's key (an admin may not submit), the JSON body
    /// (size-capped), then its fields; the first failure is the result to answer with.
    /// </summary>
    /// <remarks>
    /// With <paramref name="countLater"/> the request is not counted here when it is valid: the caller counts it in the
    /// transaction that stores the task (one write per submit). An invalid one is counted here (its 429 comes first).
    /// </remarks>
    public static async Task<(Caller? Caller, Submission? Submission, IResult? Error)> ReadRequestAsync(HttpContext context, ApiServices services, bool schedule, bool countLater = false)
    {
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: false, countRequest: !countLater).ConfigureAwait(false);
        if (denied is not null)
        {
            return (null, null, denied);
        }

        var (document, bad) = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        if (bad is null)
        {
            using (document)
            {
                if (Read(document!.RootElement, schedule, out var error) is { } read)
                {
                    return (caller, read, null);
                }

                bad = ApiErrors.Result(400, error!);
            }
        }

        if (countLater && await Access.CountAsync(context, services, caller!.Client!).ConfigureAwait(false) is (null, { } overRate))
        {
            return (null, null, overRate);
        }

        return (null, null, bad);
    }

    /// <summary>Longest delay a task may ask for (one year).</summary>
    public const int MaxDelaySeconds = 366 * 24 * 3600;

    private const string PathExpected = "a non-empty relative path without '..' segments or control characters (at most 1024 characters), e.g. demo1_code";

    /// <summary>Reads a task (<paramref name="schedule"/> false) or a schedule request.</summary>
    public static Submission? Read(JsonElement root, bool schedule, out ApiError? error)
    {
        try
        {
            return ReadCore(root, schedule, out error);
        }
        catch (InvalidOperationException e)
        {
            // A string with an escaped lone surrogate parses as JSON but cannot become a .NET string.
            error = new ApiError("a string in the body is not valid Unicode: " + e.Message, null, null, "strings of valid Unicode");
            return null;
        }
    }

    private static Submission? ReadCore(JsonElement root, bool schedule, out ApiError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = new ApiError("the body must be a JSON object", null, root.Clone(), "a JSON object like {\"codePath\": \"demo1_code\", \"dataPath\": \"demo1_data\"}");
            return null;
        }

        var codePath = RelativePath(root, "codePath", ref error);
        var dataPath = RelativePath(root, "dataPath", ref error);
        var eTag = ReadETag(root, ref error);
        var limits = ReadLimits(root, ref error);
        var image = ReadImage(root, ref error);
        var delay = 0;
        string? taskId = null, every = null, cron = null;
        if (!schedule)
        {
            delay = (int)Integer(root, "delaySeconds", "delaySeconds", 0, MaxDelaySeconds, ref error);
            taskId = TaskId(root, ref error);
        }
        else
        {
            every = OptionalString(root, "every", Recurrence.EveryExpected, ref error);
            cron = OptionalString(root, "cron", Recurrence.CronExpected, ref error);
            if (error is null)
            {
                if (every is null == cron is null)
                {
                    error = new ApiError("give exactly one of every and cron", every is null ? "every" : "cron", null, Recurrence.EveryExpected + "; or cron: " + Recurrence.CronExpected);
                }
                else if (every is not null && Recurrence.ParseEvery(every) is null)
                {
                    error = new ApiError("every is not a period", "every", Value(root, "every"), Recurrence.EveryExpected);
                }
                else if (cron is not null && Recurrence.ParseCron(cron) is null)
                {
                    error = new ApiError("cron is not a valid cron expression", "cron", Value(root, "cron"), Recurrence.CronExpected);
                }
                else if (cron is not null && Recurrence.ParseCron(cron)!.NextAfter(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) is null)
                {
                    error = new ApiError("cron never fires (no date matches it)", "cron", Value(root, "cron"), Recurrence.CronExpected + ", matching a date that exists");
                }
            }
        }

        return error is null ? new Submission(codePath!, dataPath!, eTag, limits, delay, taskId, every, cron, image) : null;
    }

    /// <summary>Longest taskId a client may choose: its start message's taskId is <c>&lt;clientId&gt;:&lt;taskId&gt;</c> (client ids have at most 64 characters).</summary>
    public const int MaxClientTaskIdLength = StartMessageRules.MaxTaskIdLength - 65;

    /// <summary>Null when <paramref name="taskId"/> is usable as a client's taskId, else what is expected.</summary>
    public static string? CheckTaskId(string taskId) =>
        StartMessageRules.CheckTaskId(taskId) is not null || taskId.Length > MaxClientTaskIdLength ? $"1 to {MaxClientTaskIdLength} characters, not only spaces, no control characters"
        : taskId.Contains('/') ? "no '/' (the id is a path segment of /v1/tasks/{taskId})"
        : null;

    private static string? RelativePath(JsonElement root, string name, ref ApiError? error)
    {
        if (error is not null)
        {
            return null;
        }

        if (!root.TryGetProperty(name, out var e) || e.ValueKind != JsonValueKind.String)
        {
            error = new ApiError(e.ValueKind == JsonValueKind.Undefined ? $"{name} is missing" : $"{name} must be a string", name, Clone(e), PathExpected);
            return null;
        }

        var path = e.GetString()!;
        if (StartMessageRules.CheckPath(name, path) is { } problem)
        {
            error = new ApiError($"{name} is not a usable relative path: {problem}", name, e.Clone(), PathExpected);
            return null;
        }

        return path;
    }

    private static string? ReadImage(JsonElement root, ref ApiError? error)
    {
        if (error is not null || !root.TryGetProperty("image", out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        const string expected = "null, or the name of a runner image the workers approve (TASKER_IMAGES)";
        if (e.ValueKind != JsonValueKind.String)
        {
            error = new ApiError("image must be a string", "image", e.Clone(), expected);
            return null;
        }

        if (StartMessageRules.CheckImage(e.GetString()!) is { } problem)
        {
            error = new ApiError(problem, "image", e.Clone(), expected);
            return null;
        }

        return e.GetString();
    }

    private static string? ReadETag(JsonElement root, ref ApiError? error)
    {
        if (error is not null || !root.TryGetProperty("codeHash", out var hash) || hash.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        const string expected = "null or an object {\"eTag\": \"<sha256 hex, as printed by tasker hash>\"}";
        if (hash.ValueKind != JsonValueKind.Object)
        {
            error = new ApiError("codeHash must be an object", "codeHash", hash.Clone(), expected);
            return null;
        }

        if (!hash.TryGetProperty("eTag", out var eTag) || eTag.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (eTag.ValueKind != JsonValueKind.String || eTag.GetString() is not { Length: > 0 and <= 256 } text || text.Any(char.IsControl))
        {
            error = new ApiError("codeHash.eTag must be a non-empty string", "codeHash.eTag", eTag.Clone(), expected);
            return null;
        }

        return text;
    }

    private static TaskLimits? ReadLimits(JsonElement root, ref ApiError? error)
    {
        if (error is not null || !root.TryGetProperty("limits", out var limits) || limits.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (limits.ValueKind != JsonValueKind.Object)
        {
            error = new ApiError("limits must be an object", "limits", limits.Clone(), "null or an object with timeoutSeconds, memoryBytes, cpus, pids");
            return null;
        }

        // Types here; ranges from the start message's rules (the lower bounds every worker has; the upper ones are each
        // worker's configuration, answered as a rejected task when exceeded).
        int? timeout = limits.TryGetProperty("timeoutSeconds", out _) ? (int)Integer(limits, "timeoutSeconds", "limits.timeoutSeconds", 1, 7 * 24 * 3600, ref error) : null;
        long? memory = limits.TryGetProperty("memoryBytes", out _) ? Integer(limits, "memoryBytes", "limits.memoryBytes", 1, long.MaxValue, ref error) : null;
        int? pids = limits.TryGetProperty("pids", out _) ? (int)Integer(limits, "pids", "limits.pids", 1, 1_000_000, ref error) : null;
        double? cpus = null;
        if (error is null && limits.TryGetProperty("cpus", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.Number || !c.TryGetDouble(out var v) || v <= 0 || v > 1024)
            {
                error = new ApiError("limits.cpus is out of range", "limits.cpus", c.Clone(), "a number above 0 and at most 1024");
            }
            else
            {
                cpus = v;
            }
        }

        if (error is not null)
        {
            return null;
        }

        var read = new TaskLimits(timeout, memory, cpus, pids);
        if (StartMessageRules.CheckLimits(read, new TaskLimits(7 * 24 * 3600, long.MaxValue, 1024, 1_000_000)) is { } problem)
        {
            error = new ApiError($"{problem.Field} is out of range", problem.Field, limits.GetProperty(problem.Field["limits.".Length..]).Clone(),
                $"from {problem.Range} (workers refuse less; each worker's configuration may allow less at most)");
            return null;
        }

        return read;
    }

    private static long Integer(JsonElement parent, string name, string field, long min, long max, ref ApiError? error)
    {
        if (error is not null || !parent.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return min;
        }

        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var value) || value < min || value > max)
        {
            error = new ApiError($"{field} is out of range", field, e.Clone(), $"a whole number from {min} to {max}");
            return min;
        }

        return value;
    }

    private static string? TaskId(JsonElement root, ref ApiError? error)
    {
        if (error is not null || !root.TryGetProperty("taskId", out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind != JsonValueKind.String || CheckTaskId(e.GetString()!) is { } problem)
        {
            error = new ApiError("taskId is not usable", "taskId", e.Clone(), "a string of " + (e.ValueKind == JsonValueKind.String ? CheckTaskId(e.GetString()!) : $"1 to {MaxClientTaskIdLength} characters"));
            return null;
        }

        return e.GetString();
    }

    private static string? OptionalString(JsonElement root, string name, string expected, ref ApiError? error)
    {
        if (error is not null || !root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind != JsonValueKind.String || e.GetString()!.Length > 200)
        {
            error = new ApiError($"{name} must be a string", name, e.Clone(), expected);
            return null;
        }

        return e.GetString();
    }

    private static JsonElement? Value(JsonElement root, string name) => root.TryGetProperty(name, out var e) ? e.Clone() : null;

    private static JsonElement? Clone(JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? null : e.Clone();
}
