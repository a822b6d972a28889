using DataExchangeTasker.Api.Status;
using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>
/// The status page: <c>/</c> with <c>Authorization: Bearer</c> or <c>X-Admin-Key</c> (for scripts), else instructions;
/// <c>/view/{token}</c> for browsers (a read-only link, see <see cref="ViewTokens"/>; no cookies, nothing in the query).
/// </summary>
public static class StatusEndpoints
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
            return denied ?? await PageAsync(context, services, caller!.IsAdmin ? null : caller.ClientId).ConfigureAwait(false);
        });
        app.MapGet("/view/{token}", async (HttpContext context, string token) =>
        {
            var principal = services.ViewTokens.Read(token);
            if (principal is null)
            {
                return ApiErrors.Result(404, "unknown status page link", "a link from /v1/view-url or /admin/view-url", "token");
            }

            if (principal == ViewTokens.Admin)
            {
                return await PageAsync(context, services, null).ConfigureAwait(false);
            }

            var clients = await services.Store.ListClientsAsync(context.RequestAborted).ConfigureAwait(false);
            return clients.Any(c => c.ClientId == principal && c.Enabled == 1)
                ? await PageAsync(context, services, principal).ConfigureAwait(false)
                : ApiErrors.Result(404, "unknown status page link", "a link of an enabled client", "token");
        });
    }

    private static async Task<IResult> PageAsync(HttpContext context, ApiServices services, string? clientId)
    {
        var tasks = await services.Store.ListTasksAsync(new TaskQuery(clientId, null, null, Shown), context.RequestAborted).ConfigureAwait(false);
        // The list query leaves out done bodies; the trace summary needs them for the few finished rows shown.
        var withSummaries = new List<TaskRow>(tasks.Count);
        foreach (var t in tasks)
        {
            withSummaries.Add(t.FinishedAt is null ? t : await services.Store.GetTaskAsync(t.TaskId, context.RequestAborted).ConfigureAwait(false) ?? t);
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'";
        return Results.Content(StatusPage.Render(clientId is null ? "all clients" : "client " + clientId, withSummaries, services.Time.GetUtcNow()), "text/html; charset=utf-8");
    }
}
