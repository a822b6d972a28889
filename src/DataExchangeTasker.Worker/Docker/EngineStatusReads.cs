using System.Net;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Handler.Abstractions;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using LibraryApiException = Docker.DotNet.DockerApiException;
using Version = System.Version;

namespace DataExchangeTasker.Docker;

/// <summary>
/// The Engine API reads a tasker makes all the time, idle or not: the engine's API version (negotiation, and the
/// health ping every few seconds), whether an image is there and its labels (the health check), and the listing of task containers
/// (the sweeps). They go over Docker.DotNet's own transport but are read with source-generated models of only the
/// fields the tasker uses (<see cref="EngineStatusJsonContext"/>): the library's serializer, set up for its ~600
/// models on first use, held ~10 MB of an idle tasker's memory (issue 21); a tasker now pays for it at its first task.
/// Errors are the library's (<see cref="LibraryApiException"/> with the engine's status and body, transport
/// exceptions), so <see cref="EngineErrors"/> translates them like every other call.
/// </summary>
internal sealed class EngineStatusReads : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Opens nothing yet: each read connects (as the library's calls do).</summary>
    public EngineStatusReads(DockerEndpoint endpoint)
    {
        var transport = new TransportBuilder(endpoint.ClientUri).BuildTransport();
        _http = new HttpClient(transport.Handler) { BaseAddress = transport.EffectiveEndpoint, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary><c>GET /version</c> (unversioned, as every engine answers it): the engine's API version.</summary>
    public async Task<string?> ApiVersionAsync(CancellationToken cancellationToken)
    {
        using var response = await GetAsync("version", cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var version = await JsonSerializer.DeserializeAsync(body, EngineStatusJsonContext.Default.EngineVersionSummary, cancellationToken).ConfigureAwait(false);
        return version?.ApiVersion;
    }

    /// <summary><c>GET /images/{name}/json</c>, its body unread: true when the engine has the image.</summary>
    public async Task<bool> ImageExistsAsync(Version api, string image, CancellationToken cancellationToken)
    {
        using var response = await GetAsync($"v{api}/images/{image}/json", cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary><c>GET /images/{name}/json</c>: the image's labels (empty when it has none); null when the engine has no such image.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ImageLabelsAsync(Version api, string image, CancellationToken cancellationToken)
    {
        using var response = await GetAsync($"v{api}/images/{image}/json", cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var summary = await JsonSerializer.DeserializeAsync(body, EngineStatusJsonContext.Default.EngineImageSummary, cancellationToken).ConfigureAwait(false);
        return summary?.Config?.Labels ?? [];
    }

    /// <summary>
    /// <c>GET /containers/json?all=true</c> filtered by labels (<c>key</c> or <c>key=value</c>): id, names, image,
    /// command, created, labels, state, status and mounts of each (ports, sizes, health and networks are not read).
    /// </summary>
    public async Task<IReadOnlyList<ContainerListResponse>> ListContainersAsync(Version api, IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken)
    {
        var filters = Uri.EscapeDataString(LabelFilter(labels));
        using var response = await GetAsync($"v{api}/containers/json?all=true&filters={filters}", cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var listed = await JsonSerializer.DeserializeAsync(body, EngineStatusJsonContext.Default.ListEngineContainerSummary, cancellationToken).ConfigureAwait(false) ?? [];
        return [.. listed.Select(c => new ContainerListResponse
        {
            ID = c.Id,
            Names = c.Names ?? [],
            Image = c.Image ?? "",
            ImageID = c.ImageId ?? "",
            Command = c.Command ?? "",
            Created = DateTimeOffset.FromUnixTimeSeconds(c.Created).UtcDateTime,
            Labels = c.Labels ?? [],
            State = c.State ?? "",
            Status = c.Status ?? "",
            Mounts = c.Mounts ?? [],
        })];
    }

    /// <summary>The <c>filters</c> query value: <c>{"label":["key","key=value",…]}</c>.</summary>
    internal static string LabelFilter(IReadOnlyDictionary<string, string?> labels)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("label");
            foreach (var (key, value) in labels)
            {
                writer.WriteStringValue(value is null ? key : $"{key}={value}");
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private async Task<HttpResponseMessage> GetAsync(string path, CancellationToken cancellationToken, HttpStatusCode? alsoExpected = null)
    {
        var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || response.StatusCode == alsoExpected)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new LibraryApiException(response.StatusCode, body);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>The library's choice of transport for an endpoint (the one its own client uses), without a client.</summary>
    private sealed class TransportBuilder : DockerClientBuilder
    {
        public TransportBuilder(Uri endpoint)
            : base(new ClientOptions { Endpoint = endpoint, Timeout = Timeout.InfiniteTimeSpan }, NullLogger.Instance)
        {
        }

        public ResolvedTransport BuildTransport()
        {
            var options = CreateResolvedClientOptions();
            var transport = ResolveTransportFactory(options.Endpoint.Scheme).CreateHandler(options, Logger);
            if (options.Endpoint.Scheme == "unix" && transport.Handler is Microsoft.Net.Http.Client.ManagedHandler local)
            {
                // A unix socket is never reached through an HTTP proxy (nor should HTTP_PROXY make it look one up).
                local.UseProxy = false;
            }

            return transport with { Handler = options.AuthProvider.ConfigureHandler(transport.Handler) };
        }
    }
}
