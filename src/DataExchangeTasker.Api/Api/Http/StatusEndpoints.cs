using DataExchangeTasker.Api.Status;
using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>
/// The status page: <c>/</c> with <c>Authorization: Bearer</c> or <c>X-Admin-Key</c> (for scripts), else instructions;
/// <c>/view/{token}</c> for browsers (a read-only link, see <see cref="ViewTokens"/>; no cookies), with
/// <c>?state=</c> to filter, and <c>/view/{token}/tasks/{taskId}</c> for one task's detail.
/// </summary>
internal static class StatusEndpoints
{
    private const int Shown = 50;

    public static void Map(WebApplication app, ApiServices services)
    {
        app.MapGet("/", async (HttpContext context, CancellationToken _) =>
        {
            if (!context.Request.Headers.ContainsKey("Authorization") && !context.Request.Headers.ContainsKey("X-Admin-Key"))
            {
                return Results.Content(StatusPage.Instructions(), "text/html; charset=utf-8");
            }

            var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: true).ConfigureAwait(false);
            return denied ?? await PageAsync(context, services, caller!.IsAdmin ? null : caller.ClientId, linkBase: null).ConfigureAwait(false);
        });
        app.MapGet("/view/{token}", async (HttpContext context, string token) =>
        {
            var (principal, error) = await PrincipalAsync(context, services, token).ConfigureAwait(false);
            return error ?? await PageAsync(context, services, principal == ViewTokens.Admin ? null : principal, "/view/" + token).ConfigureAwait(false);
        });
        app.MapGet("/view/{token}/tasks/{taskId}", async (HttpContext context, string token, string taskId) =>
        {
            var (principal, error) = await PrincipalAsync(context, services, token).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            var task = await services.Store.GetTaskAsync(taskId, context.RequestAborted).ConfigureAwait(false);
            if (task is null || (principal != ViewTokens.Admin && task.ClientId != principal))
            {
                return TaskEndpoints.NotFound("taskId", taskId);
            }

            NoStore(context);
            return Results.Content(StatusPage.RenderDetail(task, services.Time.GetUtcNow(), "/view/" + token), "text/html; charset=utf-8");
        });
    }

    /// <summary>Whose tasks a link shows (a client, or <see cref="ViewTokens.Admin"/>), or the 404 for a forged link or a disabled client.</summary>
    private static async Task<(string? Principal, IResult? Error)> PrincipalAsync(HttpContext context, ApiServices services, string token)
    {
        var principal = services.ViewTokens.Read(token);
        if (principal is null)
        {
            return (null, ApiErrors.Result(404, "unknown status page link", "a link from /v1/view-url or /admin/view-url", "token"));
        }

        if (principal == ViewTokens.Admin)
        {
            return (principal, null);
        }

        var client = await services.Store.GetClientAsync(principal, context.RequestAborted).ConfigureAwait(false);
        return client is { Enabled: 1 } ? (principal, null) : (null, ApiErrors.Result(404, "unknown status page link", "a link of an enabled client", "token"));
    }

    private static async Task<IResult> PageAsync(HttpContext context, ApiServices services, string? clientId, string? linkBase)
    {
        var state = context.Request.Query["state"].ToString() is { Length: > 0 } s ? s : null;
        if (state is not null && !ApiTaskStates.All.Contains(state))
        {
            return ApiErrors.Result(400, "unknown state", "one of " + string.Join(", ", ApiTaskStates.All), "state", state);
        }

        // With the done bodies: the trace summaries of the rows shown come from them.
        var tasks = await services.Store.ListTasksAsync(new TaskQuery(clientId, state, null, Shown, WithDone: true), context.RequestAborted).ConfigureAwait(false);
        var counts = await services.Store.CountStatesAsync(clientId, context.RequestAborted).ConfigureAwait(false);
        NoStore(context);
        return Results.Content(StatusPage.Render(clientId is null ? "all clients" : "client " + clientId, tasks, services.Time.GetUtcNow(), counts, state, linkBase),
            "text/html; charset=utf-8");
    }

    private static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'";
    }
}
