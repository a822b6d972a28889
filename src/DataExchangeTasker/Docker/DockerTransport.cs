using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using DataExchangeTasker.Docker.Models;

namespace DataExchangeTasker.Docker;

/// <summary>
/// One <see cref="HttpClient"/> to the engine (unix socket or TCP), API version negotiation and the mapping
/// of failed calls to <see cref="DockerApiException"/>.
/// </summary>
internal sealed class DockerTransport : IDisposable
{
    /// <summary>The newest API version this client was written against; older engines are spoken to in theirs.</summary>
    internal const string ClientApiVersion = "1.47";

    private readonly HttpClient _http;
    private readonly SemaphoreSlim _negotiation = new(1, 1);
    private string? _versionPrefix;

    public DockerTransport(DockerEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            // Wait and stats requests live as long as a task does; never recycle or cap them.
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        };
        if (endpoint.SocketPath is { } socketPath)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        _http = new HttpClient(handler) { BaseAddress = endpoint.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The negotiated API version, once known.</summary>
    public string? ApiVersion { get; private set; }

    /// <summary>Pings the engine and (re)negotiates: min(ours, the engine's).</summary>
    public async Task<string> NegotiateAsync(CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/_ping", null, "GET /_ping", HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "GET /_ping", cancellationToken).ConfigureAwait(false);
        var engine = response.Headers.TryGetValues("Api-Version", out var values) ? values.FirstOrDefault() : null;
        var chosen = engine is not null && Version.TryParse(engine, out var theirs) && theirs < Version.Parse(ClientApiVersion)
            ? engine
            : ClientApiVersion;
        ApiVersion = chosen;
        _versionPrefix = "/v" + chosen;
        return chosen;
    }

    /// <summary>Sends a versioned API call; the caller disposes the response and decides which statuses are errors.</summary>
    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, HttpContent? content, string operation,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (_versionPrefix is null)
        {
            await _negotiation.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_versionPrefix is null)
                {
                    await NegotiateAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _negotiation.Release();
            }
        }

        return await SendRawAsync(method, _versionPrefix + path, content, operation, completion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws <see cref="DockerApiException"/> with the engine's message unless the status is a success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string message;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            message = TryReadMessage(text) ?? (text.Length > 0 ? text.Trim() : response.ReasonPhrase ?? "no message");
        }
        catch (HttpRequestException e)
        {
            message = e.Message;
        }

        throw new DockerApiException(operation, response.StatusCode, message);
    }

    /// <summary>Reads a JSON body with the source-generated context.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
                ?? throw new DockerApiException(operation, response.StatusCode, "empty response body");
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            throw new DockerApiException(operation, null, e.Message, e);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(
        HttpMethod method, string path, HttpContent? content, string operation,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // The engine went away: renegotiate next time, it may come back as another version.
            _versionPrefix = null;
            throw new DockerApiException(operation, null, e.InnerException?.Message ?? e.Message, e);
        }
    }

    private static string? TryReadMessage(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, DockerJsonContext.Default.ErrorResponse)?.Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _negotiation.Dispose();
    }
}
