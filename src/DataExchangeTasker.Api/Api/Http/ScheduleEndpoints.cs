using System.Text.Json;
using DataExchangeTasker.Api.Schedules;
using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary><c>/v1/schedules</c>: create (at most TASKER_API_MAX_SCHEDULES per client), list, read, latest finished run, delete.</summary>
internal static class ScheduleEndpoints
{
    public static void Map(WebApplication app, ApiServices services)
    {
        app.MapPost("/v1/schedules", (Func<HttpContext, Task<IResult>>)(context => CreateAsync(context, services)));
        app.MapGet("/v1/schedules", (Func<HttpContext, Task<IResult>>)(context => ListAsync(context, services)));
        app.MapGet("/v1/schedules/{scheduleId}", (HttpContext context, string scheduleId) => GetAsync(context, services, scheduleId));
        app.MapGet("/v1/schedules/{scheduleId}/latest", (HttpContext context, string scheduleId) => LatestAsync(context, services, scheduleId));
        app.MapDelete("/v1/schedules/{scheduleId}", (HttpContext context, string scheduleId) => DeleteAsync(context, services, scheduleId));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ApiServices services)
    {
        var (caller, read, error) = await SubmissionReader.ReadRequestAsync(context, services, schedule: true).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var s = read!;

        var recurrence = s.Every is not null ? Recurrence.ParseEvery(s.Every)! : Recurrence.ParseCron(s.Cron!)!;
        var now = services.NowMs;
        var schedule = new ScheduleRow
        {
            ScheduleId = "sch_" + Guid.NewGuid().ToString("N")[..20],
            ClientId = caller!.ClientId,
            CodePath = s.CodePath,
            DataPath = s.DataPath,
            CodeHash = s.ETag,
            LimitsJson = s.Limits is null ? null : JsonSerializer.Serialize(s.Limits, ApiJson.Context.TaskLimits),
            Image = s.Image,
            EverySeconds = recurrence.EverySeconds,
            Cron = s.Cron,
            CreatedAt = now,
            // An every-schedule fires at once, then every period; a cron one at its first matching time.
            NextFireAt = recurrence.EverySeconds is not null ? now : recurrence.NextAfter(now) ?? long.MaxValue,
        };
        var max = services.Options.MaxSchedulesPerClient;
        return await services.Store.CreateScheduleAsync(schedule, max, context.RequestAborted).ConfigureAwait(false)
            ? Results.Json(TaskViews.From(schedule), ApiJson.Context.ScheduleView, statusCode: 201)
            : ApiErrors.Result(409, $"schedule limit: {max} schedules per client (TASKER_API_MAX_SCHEDULES)", "fewer schedules: delete one first", "Authorization", caller.ClientId);
    }

    private static async Task<IResult> ListAsync(HttpContext context, ApiServices services)
    {
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var client = context.Request.Query["client"].ToString() is { Length: > 0 } c ? c : null;
        if (!caller!.IsAdmin)
        {
            if (client is not null && client != caller.ClientId)
            {
                return ApiErrors.Result(403, "a client sees only its own schedules", $"client={caller.ClientId} or no client parameter", "client", client);
            }

            client = caller.ClientId;
        }

        var deleted = context.Request.Query["deleted"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            var other => (bool?)null,
        };
        if (deleted is null)
        {
            return ApiErrors.Result(400, "deleted must be true or false", "true (deleted schedules too) or false (the default)", "deleted", context.Request.Query["deleted"].ToString());
        }

        var schedules = await services.Store.ListSchedulesAsync(client, deleted.Value, context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new SchedulePage(schedules.Select(TaskViews.From).ToList()), ApiJson.Context.SchedulePage);
    }

    private static async Task<IResult> GetAsync(HttpContext context, ApiServices services, string scheduleId)
    {
        var (schedule, error) = await FindAsync(context, services, scheduleId).ConfigureAwait(false);
        return error ?? Results.Json(TaskViews.From(schedule!), ApiJson.Context.ScheduleView);
    }

    private static async Task<IResult> LatestAsync(HttpContext context, ApiServices services, string scheduleId)
    {
        var (_, error) = await FindAsync(context, services, scheduleId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var latest = await services.Store.LatestScheduleRunAsync(scheduleId, context.RequestAborted).ConfigureAwait(false);
        return latest is null
            ? ApiErrors.Result(404, "no run of this schedule has finished yet", "a schedule with a finished run", "scheduleId", scheduleId)
            : Results.Json(TaskViews.From(latest), ApiJson.Context.TaskView);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, ApiServices services, string scheduleId)
    {
        var (_, error) = await FindAsync(context, services, scheduleId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        return await services.Store.DeleteScheduleAsync(scheduleId, context.RequestAborted).ConfigureAwait(false)
            ? Results.NoContent()
            : ApiErrors.Result(404, "the schedule was already deleted", "a schedule that is not deleted", "scheduleId", scheduleId);
    }

    private static async Task<(ScheduleRow? Schedule, IResult? Error)> FindAsync(HttpContext context, ApiServices services, string scheduleId)
    {
        var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
        if (denied is not null)
        {
            return (null, denied);
        }

        var schedule = await services.Store.GetScheduleAsync(scheduleId, context.RequestAborted).ConfigureAwait(false);
        return schedule is not null && caller!.MayRead(schedule.ClientId) ? (schedule, null) : (null, TaskEndpoints.NotFound("scheduleId", scheduleId));
    }
}
