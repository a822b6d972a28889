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

    /// <summary>
    /// The engine could not be reached, or its transport failed mid-call (no HTTP status): an outage of the node, never
    /// one task's fault. Only the engine client's transport produces it, at the boundary (<c>EngineErrors</c>); a
    /// failure of the tasker's own code while it reads a stream from the engine is never wrapped as one.
    /// </summary>
    public bool EngineUnreachable => StatusCode is null;

    /// <summary>True when the engine could not be reached or failed internally (worth a retry).</summary>
    public bool IsTransient => EngineUnreachable || StatusCode >= HttpStatusCode.InternalServerError;

    private static string Format(string operation, HttpStatusCode? status, string message) =>
        status is null
            ? $"Docker engine unreachable during {operation}: {message}"
            : $"Docker engine answered {(int)status} to {operation}: {message}";
}
