using DataExchangeTasker.Api.Quotas;
using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>
/// Authentication and the per-minute quota. Clients send <c>Authorization: Bearer &lt;key&gt;</c>; the admin sends
/// <c>X-Admin-Key</c>. Every authenticated client request counts toward its tier's requests per minute, in the store,
/// so the limit holds across api processes.
/// </summary>
internal static class Access
{
    /// <summary>The client (or, when <paramref name="adminMayRead"/>, the admin) behind the request, or the 401/429 to answer.</summary>
    public static async Task<(Caller? Caller, IResult? Error)> CallerAsync(HttpContext context, ApiServices services, bool adminMayRead, bool countRequest = true)
    {
        if (adminMayRead && context.Request.Headers.ContainsKey("X-Admin-Key"))
        {
            return AdminCheck(context, services) is { } adminError ? (null, adminError) : (new Caller(null, true), null);
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return (null, ApiErrors.Result(401, "missing API key", "Authorization: Bearer <api key> (keys come from POST /admin/clients)", "Authorization"));
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 200)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return (null, ApiErrors.Result(401, "the Authorization header is not a bearer key", "Authorization: Bearer <api key>", "Authorization"));
        }

        var client = await services.Clients.GetAsync(ApiKey.Hash(header[7..].Trim()), hash => services.Store.FindClientByKeyHashAsync(hash, context.RequestAborted)).ConfigureAwait(false);
        if (client is null || client.Enabled != 1)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return (null, ApiErrors.Result(401, client is null ? "unknown API key" : "this client is disabled", "a valid, enabled client's API key", "Authorization"));
        }

        return countRequest ? await CountAsync(context, services, client).ConfigureAwait(false) : (new Caller(client, false), null);
    }

    /// <summary>Counts the request against the client's requests of the minute: the caller, or the 429 to answer.</summary>
    public static async Task<(Caller? Caller, IResult? Error)> CountAsync(HttpContext context, ApiServices services, ClientRow client)
    {
        var now = services.NowMs;
        var count = await services.Store.CountRequestAsync(client.ClientId, RateWindow.Start(now), context.RequestAborted).ConfigureAwait(false);
        return count > Tier(services.Options, client.Tier).RequestsPerMinute ? (null, OverRate(context, services, client)) : (new Caller(client, false), null);
    }

    /// <summary>The 429 of a client over its requests per minute, with Retry-After.</summary>
    public static IResult OverRate(HttpContext context, ApiServices services, ClientRow client)
    {
        var limits = Tier(services.Options, client.Tier);
        context.Response.Headers.RetryAfter = RateWindow.RetryAfterSeconds(services.NowMs).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiErrors.Result(429, $"rate limit: {limits.RequestsPerMinute} requests per minute for tier {client.Tier}", "fewer requests; retry after Retry-After seconds", "Authorization", client.ClientId);
    }

    /// <summary>Null when the request carries the admin key, else the 401/403 to answer.</summary>
    public static IResult? AdminCheck(HttpContext context, ApiServices services)
    {
        if (services.Options.AdminKey is not { } key)
        {
            return ApiErrors.Result(403, "admin endpoints are disabled on this server", "TASKER_ADMIN_KEY set on the server", "X-Admin-Key");
        }

        var given = context.Request.Headers["X-Admin-Key"].ToString();
        return given.Length == 0
            ? ApiErrors.Result(401, "missing admin key", "X-Admin-Key: <TASKER_ADMIN_KEY>", "X-Admin-Key")
            : ApiKey.Matches(given, key) ? null : ApiErrors.Result(401, "wrong admin key", "X-Admin-Key: <TASKER_ADMIN_KEY>", "X-Admin-Key");
    }

    /// <summary>A tier's limits; an unknown tier (removed from the configuration) gets the smallest configured limits.</summary>
    public static TierLimits Tier(ApiOptions options, string tier) =>
        options.Tiers.TryGetValue(tier, out var limits) ? limits
        : new TierLimits(options.Tiers.Values.Min(t => t.RequestsPerMinute), options.Tiers.Values.Min(t => t.Concurrent));
}
