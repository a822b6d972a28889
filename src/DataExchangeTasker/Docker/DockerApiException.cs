using System.Net;

namespace DataExchangeTasker.Docker;

/// <summary>
/// The engine answered an API call with an error status, or could not be reached at all
/// (<see cref="StatusCode"/> is then null). Carries the engine's own message.
/// </summary>
public sealed class DockerApiException : Exception
{
    public DockerApiException(string operation, HttpStatusCode? statusCode, string engineMessage, Exception? inner = null)
        : base(Format(operation, statusCode, engineMessage), inner)
    {
        Operation = operation;
        StatusCode = statusCode;
        EngineMessage = engineMessage;
    }

    public DockerApiException()
        : this("docker", null, "unknown error")
    {
    }

    public DockerApiException(string message)
        : this("docker", null, message)
    {
    }

    public DockerApiException(string message, Exception inner)
        : this("docker", null, message, inner)
    {
    }

    /// <summary>The API call that failed, e.g. <c>POST /containers/create</c>.</summary>
    public string Operation { get; }

    /// <summary>The HTTP status the engine answered; null when it did not answer.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The <c>message</c> of the engine's error body, or the transport error.</summary>
    public string EngineMessage { get; }

    /// <summary>True when the engine could not be reached or failed internally (worth a retry).</summary>
    public bool IsTransient => StatusCode is null or >= HttpStatusCode.InternalServerError;

    private static string Format(string operation, HttpStatusCode? status, string message) =>
        status is null
            ? $"Docker engine unreachable during {operation}: {message}"
            : $"Docker engine answered {(int)status} to {operation}: {message}";
}
