using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataExchangeTasker.Docker.Models;

namespace DataExchangeTasker.Docker;

/// <summary>
/// A small typed Engine API client over one <see cref="HttpClient"/> (Docker.DotNet is not available here).
/// Thread-safe; dispose it to close the socket.
/// </summary>
public sealed partial class DockerClient : IDockerEngine, IAsyncDisposable, IDisposable
{
    private readonly DockerTransport _transport;

    public DockerClient(DockerEndpoint endpoint)
    {
        Endpoint = endpoint;
        _transport = new DockerTransport(endpoint);
    }

    /// <summary>Where this client connects.</summary>
    public DockerEndpoint Endpoint { get; }

    /// <summary>The negotiated API version, once a call has been made.</summary>
    public string? ApiVersion => _transport.ApiVersion;

    /// <inheritdoc />
    public Task<string> PingAsync(CancellationToken cancellationToken) => _transport.NegotiateAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken)
    {
        const string op = "GET /version";
        using var response = await SendAsync(HttpMethod.Get, "/version", null, op, cancellationToken).ConfigureAwait(false);
        return await DockerTransport.ReadAsync(response, DockerJsonContext.Default.VersionResponse, op, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken)
    {
        const string op = "GET /images/{name}/json";
        using var response = await SendAsync(HttpMethod.Get, $"/images/{image}/json", null, op, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await DockerTransport.ReadAsync(response, DockerJsonContext.Default.ImageInspectResponse, op, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string> CreateContainerAsync(string? name, ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        const string op = "POST /containers/create";
        var query = name is null ? "" : "?name=" + Uri.EscapeDataString(name);
        using var content = JsonContent.Create(request, DockerJsonContext.Default.ContainerCreateRequest);
        using var response = await SendAsync(HttpMethod.Post, "/containers/create" + query, content, op, cancellationToken).ConfigureAwait(false);
        var created = await DockerTransport.ReadAsync(response, DockerJsonContext.Default.ContainerCreateResponse, op, cancellationToken).ConfigureAwait(false);
        return created.Id;
    }

    /// <inheritdoc />
    public async Task<ContainerExitWait> WaitForNextExitAsync(string id, CancellationToken cancellationToken)
    {
        const string op = "POST /containers/{id}/wait";
        // The engine flushes the headers once the waiter is registered; the body arrives at exit.
        var response = await _transport.SendAsync(
            HttpMethod.Post, $"/containers/{id}/wait?condition=next-exit", null, op,
            HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await DockerTransport.EnsureSuccessAsync(response, op, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        var exited = DockerTransport.ReadAsync(response, DockerJsonContext.Default.ContainerWaitResponse, op, cancellationToken);
        return new ContainerExitWait(exited, response);
    }

    /// <inheritdoc />
    public async Task StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Post, $"/containers/{id}/start", null, "POST /containers/{id}/start", cancellationToken, HttpStatusCode.NotModified).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ContainerInspectResponse?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        const string op = "GET /containers/{id}/json";
        using var response = await SendAsync(HttpMethod.Get, $"/containers/{id}/json", null, op, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await DockerTransport.ReadAsync(response, DockerJsonContext.Default.ContainerInspectResponse, op, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task KillContainerAsync(string id, string signal, CancellationToken cancellationToken)
    {
        // 409: not running, 404: gone. Both mean there is nothing left to kill.
        using var _ = await SendAsync(HttpMethod.Post, $"/containers/{id}/kill?signal={Uri.EscapeDataString(signal)}", null,
            "POST /containers/{id}/kill", cancellationToken, HttpStatusCode.Conflict, HttpStatusCode.NotFound).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Delete, $"/containers/{id}?force=true&v=true", null,
            "DELETE /containers/{id}", cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken)
    {
        const string op = "GET /containers/json";
        var filter = new Dictionary<string, Dictionary<string, bool>>
        {
            ["label"] = labels.ToDictionary(l => l.Value is null ? l.Key : $"{l.Key}={l.Value}", _ => true),
        };
        var filters = Uri.EscapeDataString(JsonSerializer.Serialize(filter, DockerJsonContext.Default.DictionaryStringDictionaryStringBoolean));
        using var response = await SendAsync(HttpMethod.Get, $"/containers/json?all=1&filters={filters}", null, op, cancellationToken).ConfigureAwait(false);
        return await DockerTransport.ReadAsync(response, DockerJsonContext.Default.IReadOnlyListContainerSummary, op, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, HttpContent? content, string operation,
        CancellationToken cancellationToken, params HttpStatusCode[] accepted)
    {
        var response = await _transport.SendAsync(method, path, content, operation, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (Array.IndexOf(accepted, response.StatusCode) >= 0)
        {
            return response;
        }

        try
        {
            await DockerTransport.EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _transport.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _transport.Dispose();
        return ValueTask.CompletedTask;
    }
}
