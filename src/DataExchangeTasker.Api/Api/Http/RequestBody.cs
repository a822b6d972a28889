using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DataExchangeTasker.Api.Http;

/// <summary>Reads a request's JSON body, at most <see cref="MaxBytes"/> (else 413); malformed JSON is a 400.</summary>
internal static class RequestBody
{
    /// <summary>Largest body accepted (1 MiB); Kestrel enforces the same limit for bodies without a length.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>The parsed body, or the error result to answer with.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBytes)
        {
            return (null, TooLarge(context.Request.ContentLength.Value));
        }

        try
        {
            var document = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 32 }, context.RequestAborted).ConfigureAwait(false);
            return (document, null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(null));
        }
        catch (JsonException e)
        {
            return (null, ApiErrors.Result(400, $"the body is not valid JSON: {e.Message}", "a JSON object (Content-Type: application/json)"));
        }
    }

    private static IResult TooLarge(long? length) =>
        ApiErrors.Result(413, $"the body is {(length is null ? "over the limit" : length + " bytes")}", $"at most {MaxBytes} bytes", field: null);
}
