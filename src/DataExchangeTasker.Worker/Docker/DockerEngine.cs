using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using LibraryApiException = Docker.DotNet.DockerApiException;
using Version = System.Version;

namespace DataExchangeTasker.Docker;

/// <summary>
/// <see cref="IDockerEngine"/> over Docker.DotNet's <see cref="DockerClient"/>. Adds what the library leaves
/// to its caller: API version negotiation, a deadline on every short call, and one exception type
/// (<see cref="DockerApiException"/>) for every failure. Thread-safe; dispose it to close its connections.
/// </summary>
public sealed class DockerEngine : IDockerEngine, IAsyncDisposable, IDisposable
{
    /// <summary>
    /// The newest API version the library's models were generated against (Docker 29.4). Older engines are
    /// spoken to in theirs; newer ones (Docker 29 refuses versions below 1.44) in this one.
    /// </summary>
    internal static readonly Version ClientApiVersion = new(1, 54);

    /// <summary>Deadline of ordinary calls (create, inspect, remove, list, ...).</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of <see cref="PingAsync"/>: a health probe must notice a hung engine quickly.</summary>
    public static readonly TimeSpan DefaultPingTimeout = TimeSpan.FromSeconds(5);

    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _pingTimeout;

    // /version answers without a version prefix on every engine: negotiation goes through it.
    private readonly DockerClient _unversioned;

    // Version, image presence, container listing: read all the time (idle too) with models of just what is used.
    private readonly EngineStatusReads _reads;
    private readonly Lock _gate = new();
    private readonly List<DockerClient> _retired = [];
    private DockerClient? _versioned;
    private Version? _apiVersion;
    private bool _renegotiate = true;

    public DockerEngine(DockerEndpoint endpoint, TimeSpan? callTimeout = null, TimeSpan? pingTimeout = null)
    {
        Endpoint = endpoint;
        _callTimeout = callTimeout ?? DefaultCallTimeout;
        _pingTimeout = pingTimeout ?? DefaultPingTimeout;
        _unversioned = Build(null);
        _reads = new EngineStatusReads(endpoint);
    }

    /// <summary>Where this client connects.</summary>
    public DockerEndpoint Endpoint { get; }

    /// <summary>The negotiated API version, once a call has been made.</summary>
    public string? ApiVersion
    {
        get
        {
            lock (_gate)
            {
                return _apiVersion?.ToString();
            }
        }
    }

    /// <inheritdoc />
    public async Task<string> PingAsync(CancellationToken cancellationToken)
    {
        await NegotiateAsync(_pingTimeout, cancellationToken).ConfigureAwait(false);
        return ApiVersion!;
    }

    /// <inheritdoc />
    public async Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken)
    {
        var version = await WithDeadlineAsync("GET /version", _unversioned, (docker, ct) => docker.System.GetVersionAsync(ct), _callTimeout, cancellationToken).ConfigureAwait(false);
        Settle(version.APIVersion);
        return version;
    }

    /// <inheritdoc />
    public Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken) =>
        ReadAsync("GET /images/{name}/json", (api, ct) => _reads.ImageExistsAsync(api, image, ct), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>?> ImageLabelsAsync(string image, CancellationToken cancellationToken) =>
        ReadAsync("GET /images/{name}/json", (api, ct) => _reads.ImageLabelsAsync(api, image, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken) =>
        CallAsync<ImageInspectResponse?>("GET /images/{name}/json", async (docker, ct) =>
        {
            try
            {
                return await docker.Images.InspectImageAsync(image, ct).ConfigureAwait(false);
            }
            catch (LibraryApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    /// <inheritdoc />
    public Task<NetworkResponse?> InspectNetworkAsync(string network, CancellationToken cancellationToken) =>
        CallAsync<NetworkResponse?>("GET /networks/{id}", async (docker, ct) =>
        {
            try
            {
                return await docker.Networks.InspectNetworkAsync(network, ct).ConfigureAwait(false);
            }
            catch (LibraryApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    /// <inheritdoc />
    public Task<string> CreateContainerAsync(string? name, CreateContainerParameters request, CancellationToken cancellationToken) =>
        CallAsync("POST /containers/create", async (docker, ct) =>
        {
            request.Name = name;
            var created = await docker.Containers.CreateContainerAsync(request, ct).ConfigureAwait(false);
            return created.ID;
        }, cancellationToken);

    /// <inheritdoc />
    public Task StartContainerAsync(string id, CancellationToken cancellationToken) =>
        // 304 (already started) comes back as false, not as an error.
        CallAsync("POST /containers/{id}/start", (docker, ct) => docker.Containers.StartContainerAsync(id, null, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ContainerInspectResponse?> InspectContainerAsync(string id, CancellationToken cancellationToken) =>
        CallAsync<ContainerInspectResponse?>("GET /containers/{id}/json", async (docker, ct) =>
        {
            try
            {
                return await docker.Containers.InspectContainerAsync(id, ct).ConfigureAwait(false);
            }
            catch (LibraryApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    /// <inheritdoc />
    public Task KillContainerAsync(string id, string signal, CancellationToken cancellationToken) =>
        CallAsync("POST /containers/{id}/kill", async (docker, ct) =>
        {
            try
            {
                await docker.Containers.KillContainerAsync(id, new ContainerKillParameters { Signal = signal }, ct).ConfigureAwait(false);
            }
            catch (LibraryApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                // 409: not running, 404: gone. Both mean there is nothing left to kill.
            }

            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task RemoveContainerAsync(string id, CancellationToken cancellationToken) =>
        CallAsync("DELETE /containers/{id}", async (docker, ct) =>
        {
            try
            {
                await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct).ConfigureAwait(false);
            }
            catch (LibraryApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone.
            }

            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ContainerListResponse>> ListContainersAsync(IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken) =>
        ReadAsync("GET /containers/json", (api, ct) => _reads.ListContainersAsync(api, labels, ct), cancellationToken);

    /// <inheritdoc />
    public Task<IContainerAttachment> AttachAsync(string id, CancellationToken cancellationToken) =>
        CallAsync<IContainerAttachment>("POST /containers/{id}/attach", async (docker, ct) =>
            new EngineAttachment(await docker.Containers.AttachContainerAsync(id, new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = false }, ct).ConfigureAwait(false)),
            cancellationToken);

    /// <inheritdoc />
    public async Task<long?> TrackPeakMemoryAsync(string id, CancellationToken cancellationToken)
    {
        var peak = new PeakMemory();
        try
        {
            await CallAsync("GET /containers/{id}/stats", (docker, ct) =>
                docker.Containers.GetContainerStatsAsync(id, new ContainerStatsParameters { Stream = true }, peak, ct),
                cancellationToken, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or DockerApiException)
        {
            // The stream ends with the container or when the caller has what it needs; the peak so far stands.
        }

        return peak.Bytes;
    }

    /// <inheritdoc />
    public Task<string> CreateExecAsync(string containerId, ContainerExecCreateParameters request, CancellationToken cancellationToken) =>
        CallAsync("POST /containers/{id}/exec", async (docker, ct) =>
            (await docker.Exec.CreateContainerExecAsync(containerId, request, ct).ConfigureAwait(false)).ID, cancellationToken);

    /// <inheritdoc />
    public async Task<ExecResult> RunExecAsync(string execId, Func<Stream, CancellationToken, Task> readStdout, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readStdout);
        const string Operation = "POST /exec/{id}/start";
        ExceptionDispatchInfo? readerFailure = null;
        var result = await CallAsync(Operation, async (docker, ct) =>
        {
            var multiplexed = await docker.Exec.StartContainerExecAsync(execId, new ContainerExecStartParameters { Detach = false, TTY = false }, ct).ConfigureAwait(false);
            await using var stdout = new DemultiplexedStdout(multiplexed, ExecResult.StderrLimitBytes, Operation);
            try
            {
                await readStdout(stdout, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not (DockerApiException or OperationCanceledException))
            {
                // The reader's own failure (its disk, its parsing): not the engine's, so it must not pass through the
                // translation below, which would take an IOException for an unreachable engine.
                readerFailure = ExceptionDispatchInfo.Capture(e);
                return null;
            }

            // The reader may stop at the end of its data (a tar's end blocks): drain the rest so the process can exit.
            await stdout.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            var inspect = await docker.Exec.InspectContainerExecAsync(execId, ct).ConfigureAwait(false);
            return new ExecResult(inspect.Running ? null : inspect.ExitCode, stdout.Stderr);
        }, cancellationToken, deadline).ConfigureAwait(false);
        readerFailure?.Throw();
        return result!;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> FollowLogLinesAsync(string id, long maxBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = new ContainerLogsParameters { Follow = true, ShowStdout = true, ShowStderr = false };
        var multiplexed = await CallAsync("GET /containers/{id}/logs", (docker, ct) => docker.Containers.GetContainerLogsAsync(id, parameters, ct), cancellationToken).ConfigureAwait(false);
        await using var stdout = new DemultiplexedStdout(multiplexed, 0, "GET /containers/{id}/logs");
        var line = new List<byte>();
        var buffer = new byte[4096];
        long total = 0;
        while (total < maxBytes)
        {
            int read;
            try
            {
                read = await stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && EngineErrors.Translate("GET /containers/{id}/logs", e) is { } translated)
            {
                throw translated;
            }

            if (read == 0)
            {
                break;
            }

            total += read;
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (b == (byte)'\n')
                {
                    yield return Encoding.UTF8.GetString([.. line]);
                    line.Clear();
                }
                else if (line.Count < 4096)
                {
                    line.Add(b);
                }
            }
        }

        if (line.Count > 0)
        {
            yield return Encoding.UTF8.GetString([.. line]);
        }
    }

    /// <summary>Asks the engine for its version and settles on min(ours, the engine's).</summary>
    private async Task NegotiateAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        // The client argument only fits the deadline helper's shape: the status reads have a transport of their own.
        var engineVersion = await WithDeadlineAsync("GET /version", _unversioned, (_, ct) => _reads.ApiVersionAsync(ct), deadline, cancellationToken).ConfigureAwait(false);
        Settle(engineVersion);
    }

    /// <summary>Speaks min(ours, <paramref name="engineVersion"/>) from now on (ours when the engine's is unreadable).</summary>
    private void Settle(string? engineVersion)
    {
        var chosen = Version.TryParse(engineVersion, out var theirs) && theirs < ClientApiVersion ? theirs : ClientApiVersion;
        lock (_gate)
        {
            if (_versioned is null || chosen != _apiVersion)
            {
                // Calls in flight keep the old client (an engine replaced by another version); it closes with us.
                if (_versioned is not null)
                {
                    _retired.Add(_versioned);
                }

                _versioned = Build(chosen);
                _apiVersion = chosen;
            }

            _renegotiate = false;
        }
    }

    private Task<bool> CallAsync(string operation, Func<DockerClient, CancellationToken, Task> call, CancellationToken cancellationToken, TimeSpan? deadline = null) =>
        CallAsync(operation, async (docker, ct) =>
        {
            await call(docker, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken, deadline);

    /// <summary>
    /// Runs one library call on the negotiated client under <paramref name="deadline"/> (the call timeout
    /// unless given; <see cref="Timeout.InfiniteTimeSpan"/>: the caller's token only, for waits and streams).
    /// </summary>
    private async Task<T> CallAsync<T>(string operation, Func<DockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken, TimeSpan? deadline = null)
    {
        DockerClient? client;
        bool renegotiate;
        lock (_gate)
        {
            client = _versioned;
            renegotiate = _renegotiate;
        }

        if (client is null || renegotiate)
        {
            await NegotiateAsync(_callTimeout, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                client = _versioned!;
            }
        }

        return await WithDeadlineAsync(operation, client, call, deadline ?? _callTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One of the <see cref="EngineStatusReads"/> at the negotiated API version, under the call timeout.</summary>
    private async Task<T> ReadAsync<T>(string operation, Func<Version, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        DockerClient? client;
        Version? api;
        bool renegotiate;
        lock (_gate)
        {
            (client, api, renegotiate) = (_versioned, _apiVersion, _renegotiate);
        }

        if (client is null || api is null || renegotiate)
        {
            await NegotiateAsync(_callTimeout, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                (client, api) = (_versioned!, _apiVersion!);
            }
        }

        return await WithDeadlineAsync(operation, client, (_, ct) => read(api, ct), _callTimeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> WithDeadlineAsync<T>(string operation, DockerClient client, Func<DockerClient, CancellationToken, Task<T>> call, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);

        try
        {
            // WaitAsync as well as the token: the deadline holds even where a transport does not observe it.
            return await call(client, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && deadline != Timeout.InfiniteTimeSpan)
        {
            MarkUnreachable();
            throw new DockerApiException(operation, null,
                $"the engine did not answer within {deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", e);
        }
        catch (Exception e) when (EngineErrors.Translate(operation, e) is { } translated)
        {
            if (translated.EngineUnreachable)
            {
                MarkUnreachable();
            }

            throw translated;
        }
    }

    /// <summary>The engine went away: ask its version again next time, it may come back as another one.</summary>
    private void MarkUnreachable()
    {
        lock (_gate)
        {
            _renegotiate = true;
        }
    }

    private DockerClient Build(Version? apiVersion) =>
        new DockerClientBuilder()
            .WithEndpoint(Endpoint.ClientUri)
            .WithApiVersion(apiVersion)
            // Deadlines are ours (per call, above); waits and streams last as long as a task does.
            .WithTimeout(Timeout.InfiniteTimeSpan)
            .Build();

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _versioned?.Dispose();
            foreach (var client in _retired)
            {
                client.Dispose();
            }

            _retired.Clear();
        }

        _unversioned.Dispose();
        _reads.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The highest memory figure of a stats stream (cgroup v1 reports <c>max_usage</c>; v2 only usage samples).</summary>
    private sealed class PeakMemory : IProgress<ContainerStatsResponse>
    {
        private long _bytes;

        public long? Bytes => Interlocked.Read(ref _bytes) is > 0 and var b ? b : null;

        public void Report(ContainerStatsResponse value)
        {
            var sample = value.MemoryStats?.MaxUsage ?? value.MemoryStats?.Usage;
            if (sample is not > 0 || sample > long.MaxValue)
            {
                return;
            }

            long seen;
            while ((long)sample.Value > (seen = Interlocked.Read(ref _bytes))
                && Interlocked.CompareExchange(ref _bytes, (long)sample.Value, seen) != seen)
            {
            }
        }
    }
}
