using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>JSON error results: every 4xx and 5xx body is an <see cref="ApiError"/>.</summary>
internal static class ApiErrors
{
    /// <summary>The error as a result with <paramref name="status"/>.</summary>
    public static IResult Result(int status, ApiError error) => Results.Json(error, ApiJson.Context.ApiError, statusCode: status);

    /// <summary>An error without a field.</summary>
    public static IResult Result(int status, string error, string? expected = null, string? field = null, string? value = null) =>
        Result(status, new ApiError(error, field, value is null ? null : JsonSerializer.SerializeToElement(value, ApiJson.Context.String), expected));

    /// <summary>Writes an error directly (middleware, where no endpoint result exists).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string error, string? expected = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, new ApiError(error, null, null, expected), ApiJson.Context.ApiError, context.RequestAborted).ConfigureAwait(false);
    }
}
