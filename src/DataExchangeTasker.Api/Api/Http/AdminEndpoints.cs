using System.Text.Json;
using DataExchangeTasker.Api.Quotas;
using DataExchangeTasker.Api.Status;
using DataExchangeTasker.Api.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary><c>/admin</c> (needs <c>X-Admin-Key</c>): clients and their tiers; and the status page links.</summary>
internal static class AdminEndpoints
{
    private const string ClientIdExpected = "1 to 64 letters, digits, '.', '_' or '-'";

    public static void Map(WebApplication app, ApiServices services)
    {
        app.MapPost("/admin/clients", (Func<HttpContext, Task<IResult>>)(context => CreateAsync(context, services)));
        app.MapPatch("/admin/clients/{clientId}", (HttpContext context, string clientId) => UpdateAsync(context, services, clientId));
        app.MapGet("/admin/clients", (Func<HttpContext, Task<IResult>>)(context => ListAsync(context, services)));
        app.MapGet("/admin/view-url", IResult (HttpContext context) =>
            Access.AdminCheck(context, services) ?? Results.Json(new ViewUrl("/view/" + services.ViewTokens.Create(ViewTokens.Admin)), ApiJson.Context.ViewUrl));
        app.MapGet("/v1/view-url", async Task<IResult> (HttpContext context, CancellationToken _) =>
        {
            var (caller, denied) = await Access.CallerAsync(context, services, adminMayRead: false).ConfigureAwait(false);
            return denied ?? Results.Json(new ViewUrl("/view/" + services.ViewTokens.Create(caller!.ClientId!)), ApiJson.Context.ViewUrl);
        });
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ApiServices services)
    {
        if (Access.AdminCheck(context, services) is { } denied)
        {
            return denied;
        }

        var (document, bad) = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        if (bad is not null)
        {
            return bad;
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiErrors.Result(400, new ApiError("the body must be a JSON object", null, root.Clone(), "{\"clientId\": \"…\", \"tier\": \"free\"}"));
            }

            if (!root.TryGetProperty("clientId", out var id) || id.ValueKind != JsonValueKind.String || !ValidClientId(id.GetString()!))
            {
                return ApiErrors.Result(400, new ApiError("clientId is not usable", "clientId", Clone(id), ClientIdExpected));
            }

            if (TierOf(root, services, out var tierError) is not { } tier)
            {
                return ApiErrors.Result(400, tierError ?? new ApiError("tier is missing", "tier", null, TiersExpected(services)));
            }

            var key = ApiKey.New();
            var client = new ClientRow { ClientId = id.GetString()!, Tier = tier, KeyHash = ApiKey.Hash(key), Enabled = 1, CreatedAt = services.NowMs };
            return await services.Store.CreateClientAsync(client, context.RequestAborted).ConfigureAwait(false)
                ? Results.Json(TaskViews.From(client, key), ApiJson.Context.ClientView, statusCode: 201)
                : ApiErrors.Result(409, "a client with this clientId exists", "a new clientId (PATCH changes an existing one)", "clientId", client.ClientId);
        }
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, ApiServices services, string clientId)
    {
        if (Access.AdminCheck(context, services) is { } denied)
        {
            return denied;
        }

        var (document, bad) = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        if (bad is not null)
        {
            return bad;
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiErrors.Result(400, new ApiError("the body must be a JSON object", null, root.Clone(), "{\"tier\": \"basic\", \"enabled\": false}"));
            }

            string? tier = null;
            if (root.TryGetProperty("tier", out var t) && t.ValueKind != JsonValueKind.Null && (tier = TierOf(root, services, out var tierError)) is null)
            {
                return ApiErrors.Result(400, tierError!);
            }

            bool? enabled = null;
            if (root.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
            {
                if (e.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return ApiErrors.Result(400, new ApiError("enabled must be true or false", "enabled", e.Clone(), "true or false"));
                }

                enabled = e.GetBoolean();
            }

            var updated = await services.Store.UpdateClientAsync(clientId, tier, enabled, context.RequestAborted).ConfigureAwait(false);
            services.Clients.Forget(clientId);
            return updated is null
                ? ApiErrors.Result(404, "no such client", "the clientId of an existing client", "clientId", clientId)
                : Results.Json(TaskViews.From(updated), ApiJson.Context.ClientView);
        }
    }

    private static async Task<IResult> ListAsync(HttpContext context, ApiServices services)
    {
        if (Access.AdminCheck(context, services) is { } denied)
        {
            return denied;
        }

        var clients = await services.Store.ListClientsAsync(context.RequestAborted).ConfigureAwait(false);
        return Results.Json((IReadOnlyList<ClientView>)clients.Select(c => TaskViews.From(c)).ToList(), ApiJson.Context.IReadOnlyListClientView);
    }

    private static string? TierOf(JsonElement root, ApiServices services, out ApiError? error)
    {
        error = null;
        if (!root.TryGetProperty("tier", out var t))
        {
            return null;
        }

        if (t.ValueKind != JsonValueKind.String || !services.Options.Tiers.ContainsKey(t.GetString()!))
        {
            error = new ApiError("unknown tier", "tier", t.Clone(), TiersExpected(services));
            return null;
        }

        return t.GetString();
    }

    private static string TiersExpected(ApiServices services) => "one of " + string.Join(", ", services.Options.Tiers.Keys);

    private static bool ValidClientId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static JsonElement? Clone(JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? null : e.Clone();
}
