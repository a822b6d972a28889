using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary><c>/v1/tasks</c>: submit, read, list, cancel.</summary>
public static class TaskEndpoints
{
    /// <summary>Largest page of <c>GET /v1/tasks</c>.</summary>
    public const int MaxPage = 500;

    public static void Map(WebApplication app, ApiServices services)
    {
        app.MapPost("/v1/tasks", (Func<HttpContext, Task<IResult>>)(context => SubmitAsync(context, services)));
        app.MapGet("/v1/tasks/{taskId}", (HttpContext context, string taskId) => GetAsync(context, services, taskId));
        app.MapGet("/v1/tasks", (Func<HttpContext, Task<IResult>>)(context => ListAsync(context, services)));
        app.MapPost("/v1/tasks/{taskId}/cancel", (HttpContext context, string taskId) => CancelAsync(context, services, taskId));
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, ApiServices services)
    {
        var (caller, read, error) = await SubmissionReader.ReadRequestAsync(context, services, schedule: false).ConfigureAwait(false);
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
        var task = new TaskRow
        {
            TaskId = submission.TaskId ?? "api-" + Guid.NewGuid().ToString("N"),
            ClientId = client.ClientId,
            State = state,
            SubmitState = state,
            CodePath = submission.CodePath,
            DataPath = submission.DataPath,
            CodeHash = submission.ETag,
            LimitsJson = submission.Limits is null ? null : JsonSerializer.Serialize(submission.Limits, ApiJson.Context.TaskLimits),
            RequestDigest = digest,
            CreatedAt = now,
            DueAt = now + submission.DelaySeconds * 1000L,
            // Published right here: leased to this process so no due-task round of another one publishes it too.
            LeaseUntil = delayed ? 0 : now + 30_000,
        };

        var limits = Access.Tier(services.Options, client.Tier);
        var outcome = await services.Store.SubmitAsync(task, limits.Concurrent, context.RequestAborted).ConfigureAwait(false);
        if (outcome == SubmitOutcome.Exists)
        {
            var existing = await services.Store.GetTaskAsync(task.TaskId, context.RequestAborted).ConfigureAwait(false);
            return existing is not null && existing.ClientId == client.ClientId && existing.RequestDigest == digest
                ? Results.Json(new SubmitResponse(existing.TaskId, existing.SubmitState ?? existing.State), ApiJson.Context.SubmitResponse, statusCode: 202)
                : ApiErrors.Result(409, "a task with this taskId exists with a different request", "a new taskId, or the same body as the first submit", "taskId", task.TaskId);
        }

        if (outcome == SubmitOutcome.OverConcurrency)
        {
            return ApiErrors.Result(429, $"concurrency limit: {limits.Concurrent} unfinished tasks for tier {client.Tier}",
                "fewer unfinished tasks: wait until one finishes", "Authorization", client.ClientId);
        }

        services.Metrics.Submitted(client.ClientId);
        if (!delayed)
        {
            try
            {
                await services.Starts.PublishAsync(task, context.RequestAborted).ConfigureAwait(false);
                await services.Store.MarkPublishedAsync(task.TaskId, services.NowMs, CancellationToken.None).ConfigureAwait(false);
                services.Metrics.Published();
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // Stored and leased: the due-task publisher publishes it once the lease ends.
                services.Metrics.PublishFailed();
                services.Log.Warning("Task {TaskId:l}: the broker did not confirm its start message in time; it is stored and retried", task.TaskId);
            }
        }

        return Results.Json(new SubmitResponse(task.TaskId, state), ApiJson.Context.SubmitResponse, statusCode: 202);
    }

    private static async Task<IResult> GetAsync(HttpContext context, ApiServices services, string taskId)
    {
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var task = await services.Store.GetTaskAsync(taskId, context.RequestAborted).ConfigureAwait(false);
        // Another client's task answers exactly like a missing one: ids are not confirmed to strangers.
        return task is not null && caller!.MayRead(task.ClientId)
            ? Results.Json(TaskViews.From(task), ApiJson.Context.TaskView)
            : NotFound("taskId", taskId);
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
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var task = await services.Store.GetTaskAsync(taskId, context.RequestAborted).ConfigureAwait(false);
        if (task is null || !caller!.MayRead(task.ClientId))
        {
            return NotFound("taskId", taskId);
        }

        if (task.FinishedAt is not null)
        {
            return ApiErrors.Result(409, $"the task already finished ({task.State})", "an unfinished task", "taskId", taskId);
        }

        if (await services.Store.CancelUnpublishedAsync(taskId, services.NowMs, context.RequestAborted).ConfigureAwait(false))
        {
            return Results.Json(new CancelResponse(taskId, "cancelled"), ApiJson.Context.CancelResponse, statusCode: 202);
        }

        await services.Cancels.PublishAsync(taskId, context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new CancelResponse(taskId, "requested"), ApiJson.Context.CancelResponse, statusCode: 202);
    }

    /// <summary>The 404 for a task or schedule the caller may not see.</summary>
    public static IResult NotFound(string field, string value) =>
        ApiErrors.Result(404, $"no such {(field == "taskId" ? "task" : "schedule")}", $"the {field} of one of your own", field, value);

    private static string Digest(Submission s) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(
            new NormalizedSubmission(s.CodePath, s.DataPath, s.ETag, s.Limits, s.DelaySeconds), ApiJson.Context.NormalizedSubmission)));
}
