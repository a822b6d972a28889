using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataExchangeTasker.Api.Schedules;
using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary><c>/v1/tasks</c>: submit, read (whole, some fields, the trace), list, cancel.</summary>
internal static class TaskEndpoints
{
    /// <summary>Largest page of <c>GET /v1/tasks</c>.</summary>
    public const int MaxPage = 500;

    /// <summary>The fields <c>?fields=</c> may name (those of a task).</summary>
    public static IReadOnlyList<string> Fields { get; } =
    [
        "taskId", "state", "clientId", "scheduleId", "codePath", "dataPath", "submittedAt", "dueAt", "publishedAt", "startedAt", "finishedAt",
        "reason", "durationMs", "progressStep", "done", "doneCount", "startTaskId", "image", "summary", "links",
    ];

    public static void Map(WebApplication app, ApiServices services)
    {
        app.MapPost("/v1/tasks", (Func<HttpContext, Task<IResult>>)(context => SubmitAsync(context, services)));
        app.MapGet("/v1/tasks/{taskId}", (HttpContext context, string taskId) => GetAsync(context, services, taskId));
        app.MapGet("/v1/tasks/{taskId}/trace", (HttpContext context, string taskId) => TraceAsync(context, services, taskId));
        app.MapGet("/v1/tasks", (Func<HttpContext, Task<IResult>>)(context => ListAsync(context, services)));
        app.MapPost("/v1/tasks/{taskId}/cancel", (HttpContext context, string taskId) => CancelAsync(context, services, taskId));
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, ApiServices services)
    {
        var (caller, read, error) = await SubmissionReader.ReadRequestAsync(context, services, schedule: false, countLater: true).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var submission = read!;
        var client = caller!.Client!;
        var digest = Digest(submission);
        var now = services.NowMs;
        var delayed = submission.DelaySeconds > 0;
        var state = delayed ? ApiTaskStates.Scheduled : ApiTaskStates.Queued;
        var generated = "api-" + Guid.NewGuid().ToString("N");
        var limitsJson = submission.Limits is null ? null : JsonSerializer.Serialize(submission.Limits, ApiJson.Context.TaskLimits);
        var task = new TaskRow
        {
            // Ids are per client: a chosen one reaches the workers prefixed with the client's id (client ids hold no ':').
            TaskId = submission.TaskId is { } chosen ? client.ClientId + ":" + chosen : generated,
            ClientTaskId = submission.TaskId ?? generated,
            ClientId = client.ClientId,
            State = state,
            SubmitState = state,
            CodePath = submission.CodePath,
            DataPath = submission.DataPath,
            CodeHash = submission.ETag,
            LimitsJson = limitsJson,
            Image = submission.Image,
            TimeLimitMs = ScheduleRunner.TimeLimitMs(limitsJson, services.Options.DefaultTaskTimeout),
            RequestDigest = digest,
            CreatedAt = now,
            DueAt = now + submission.DelaySeconds * 1000L,
        };

        var limits = Access.Tier(services.Options, client.Tier);
        var outcome = await services.Store.SubmitAsync(task, limits.Concurrent, new RateCheck(Quotas.RateWindow.Start(now), limits.RequestsPerMinute), context.RequestAborted).ConfigureAwait(false);
        if (outcome == SubmitOutcome.OverRate)
        {
            return Access.OverRate(context, services, client);
        }

        if (outcome == SubmitOutcome.Exists)
        {
            var existing = await services.Store.GetClientTaskAsync(client.ClientId, task.ClientTaskId, withDone: false, context.RequestAborted).ConfigureAwait(false);
            return existing is not null && existing.RequestDigest == digest
                ? Results.Json(new SubmitResponse(existing.ClientTaskId ?? existing.TaskId, existing.SubmitState ?? existing.State), ApiJson.Context.SubmitResponse, statusCode: 202)
                : ApiErrors.Result(409, "you submitted a task with this taskId and a different request before", "a new taskId, or the same body as the first submit", "taskId", task.ClientTaskId);
        }

        if (outcome == SubmitOutcome.OverConcurrency)
        {
            return ApiErrors.Result(429, $"concurrency limit: {limits.Concurrent} unfinished tasks for tier {client.Tier}",
                "fewer unfinished tasks: wait until one finishes", "Authorization", client.ClientId);
        }

        // Stored: the outbox publishes it (at once while the broker is up; once it is back otherwise).
        services.Metrics.Submitted(client.ClientId);
        if (!delayed)
        {
            services.DueTasks.Wake();
        }

        return Results.Json(new SubmitResponse(task.ClientTaskId!, state), ApiJson.Context.SubmitResponse, statusCode: 202);
    }

    private static async Task<IResult> GetAsync(HttpContext context, ApiServices services, string taskId)
    {
        string[]? fields = null;
        if (context.Request.Query["fields"].ToString() is { Length: > 0 } list)
        {
            fields = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (fields.FirstOrDefault(f => !Fields.Contains(f)) is { } unknown)
            {
                return ApiErrors.Result(400, "unknown field " + unknown, "a comma-separated list of: " + string.Join(", ", Fields), "fields", list);
            }
        }

        var (task, error) = await FindAsync(context, services, taskId, withDone: fields is null || fields.Contains("done") || fields.Contains("summary") || fields.Contains("links")).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var view = TaskViews.From(task!);
        if (fields is null)
        {
            return Results.Json(view, ApiJson.Context.TaskView);
        }

        var whole = JsonSerializer.SerializeToNode(view, ApiJson.Context.TaskView)!.AsObject();
        var picked = new JsonObject();
        foreach (var (name, value) in whole)
        {
            if (name == "taskId" || fields.Contains(name))
            {
                picked[name] = value?.DeepClone();
            }
        }

        return Results.Text(picked.ToJsonString(ApiJson.Context.Options), "application/json; charset=utf-8");
    }

    private static async Task<IResult> TraceAsync(HttpContext context, ApiServices services, string taskId)
    {
        var (task, error) = await FindAsync(context, services, taskId, withDone: true).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        return TaskViews.Trace(task!.DoneBody) is { } trace
            ? Results.Text(trace, "text/plain; charset=utf-8")
            : ApiErrors.Result(404, task.FinishedAt is null ? "the task has not finished yet" : "the task's done message has no trace",
                "a finished task whose done message has containerOutput.strace", "taskId", taskId);
    }

    /// <summary>
    /// The task a client knows as <paramref name="taskId"/>, or, for the admin, the task with that start message taskId;
    /// another client's task answers exactly like a missing one.
    /// </summary>
    private static async Task<(TaskRow? Task, IResult? Error)> FindAsync(HttpContext context, ApiServices services, string taskId, bool withDone)
    {
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
        if (denied is not null)
        {
            return (null, denied);
        }

        var task = caller!.IsAdmin
            ? await services.Store.GetTaskAsync(taskId, context.RequestAborted).ConfigureAwait(false)
            : await services.Store.GetClientTaskAsync(caller.ClientId!, taskId, withDone, context.RequestAborted).ConfigureAwait(false);
        return task is null ? (null, NotFound("taskId", taskId)) : (task, null);
    }

    private static async Task<IResult> ListAsync(HttpContext context, ApiServices services)
    {
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var q = context.Request.Query;
        var state = q["state"].ToString() is { Length: > 0 } s ? s : null;
        if (state is not null && !ApiTaskStates.All.Contains(state))
        {
            return ApiErrors.Result(400, "unknown state", "one of " + string.Join(", ", ApiTaskStates.All), "state", state);
        }

        var limit = 50;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPage))
        {
            return ApiErrors.Result(400, "limit is out of range", $"a whole number from 1 to {MaxPage}", "limit", l);
        }

        long? before = null;
        if (q["after"].ToString() is { Length: > 0 } a)
        {
            if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
            {
                return ApiErrors.Result(400, "after is not a cursor", "the next value of a previous page", "after", a);
            }

            before = cursor;
        }

        var client = q["client"].ToString() is { Length: > 0 } c ? c : null;
        if (!caller!.IsAdmin)
        {
            if (client is not null && client != caller.ClientId)
            {
                return ApiErrors.Result(403, "a client sees only its own tasks", $"client={caller.ClientId} or no client parameter", "client", client);
            }

            client = caller.ClientId;
        }

        var rows = await services.Store.ListTasksAsync(new TaskQuery(client, state, before, limit), context.RequestAborted).ConfigureAwait(false);
        var next = rows.Count == limit ? rows[^1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return Results.Json(new TaskPage(rows.Select(TaskViews.From).ToList(), next), ApiJson.Context.TaskPage);
    }

    private static async Task<IResult> CancelAsync(HttpContext context, ApiServices services, string taskId)
    {
        var (task, error) = await FindAsync(context, services, taskId, withDone: false).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (task!.FinishedAt is not null)
        {
            return ApiErrors.Result(409, $"the task already finished ({task.State})", "an unfinished task", "taskId", taskId);
        }

        if (await services.Store.CancelUnpublishedAsync(task.TaskId, services.NowMs, context.RequestAborted).ConfigureAwait(false))
        {
            return Results.Json(new CancelResponse(taskId, "cancelled"), ApiJson.Context.CancelResponse, statusCode: 202);
        }

        if (!services.Health.BrokerUp)
        {
            context.Response.Headers.RetryAfter = "5";
            return ApiErrors.Result(503, "the broker is not reachable: the cancel cannot reach the workers now", "a retry later", "taskId", taskId);
        }

        await services.Cancels.PublishAsync(task.TaskId, context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new CancelResponse(taskId, "requested"), ApiJson.Context.CancelResponse, statusCode: 202);
    }

    /// <summary>The 404 for a task or schedule the caller may not see.</summary>
    public static IResult NotFound(string field, string value) =>
        ApiErrors.Result(404, $"no such {(field == "taskId" ? "task" : "schedule")}", $"the {field} of one of your own", field, value);

    private static string Digest(Submission s) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(
            new NormalizedSubmission(s.CodePath, s.DataPath, s.ETag, s.Limits, s.DelaySeconds, s.Image), ApiJson.Context.NormalizedSubmission)));
}
