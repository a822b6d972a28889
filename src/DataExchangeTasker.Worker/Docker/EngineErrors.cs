using System.Net.Sockets;
using System.Text.Json;
using LibraryApiException = Docker.DotNet.DockerApiException;

namespace DataExchangeTasker.Docker;

/// <summary>Turns what Docker.DotNet and its transports throw into our <see cref="DockerApiException"/>.</summary>
internal static class EngineErrors
{
    /// <summary>
    /// The boundary exception for <paramref name="error"/>, or null for what is not an engine failure
    /// (the caller's own cancellation, programming errors), which then propagates unchanged.
    /// </summary>
    public static DockerApiException? Translate(string operation, Exception error) => error switch
    {
        DockerApiException ours => ours,
        // Includes DockerContainerNotFoundException and DockerImageNotFoundException.
        LibraryApiException answered => new DockerApiException(operation, answered.StatusCode, MessageOf(answered.ResponseBody), answered),
        HttpRequestException or SocketException or IOException or TimeoutException =>
            new DockerApiException(operation, null, error.InnerException?.Message ?? error.Message, error),
        // A body that is not what the API documents: the engine (or something in front of it) is broken.
        JsonException => new DockerApiException(operation, null, "unreadable answer: " + error.Message, error),
        _ => null,
    };

    /// <summary>The <c>message</c> of the engine's JSON error body, else the body itself.</summary>
    private static string MessageOf(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "no message";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): the text is the best message there is.
        }

        return body.Trim();
    }
}
