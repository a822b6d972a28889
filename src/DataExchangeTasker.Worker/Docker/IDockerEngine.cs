using Docker.DotNet.Models;

namespace DataExchangeTasker.Docker;

/// <summary>
/// The Engine API calls the tasker makes, in Docker.DotNet's model types. Every failure surfaces as our
/// <see cref="DockerApiException"/>, never as a library exception; "not found" answers that are expected
/// (inspect, kill, remove) are folded into return values instead.
/// </summary>
public interface IDockerEngine
{
    /// <summary>Asks the engine for its version and returns the API version this client will use with it.</summary>
    Task<string> PingAsync(CancellationToken cancellationToken);

    /// <summary>Engine version information.</summary>
    Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary>Whether the engine has an image (its inspect answer is not read: the health check asks every few seconds).</summary>
    Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken);

    /// <summary>An image's labels (empty when it has none); null when the engine does not have it. Read with a small model: the health check asks every few seconds.</summary>
    Task<IReadOnlyDictionary<string, string>?> ImageLabelsAsync(string image, CancellationToken cancellationToken);

    /// <summary>Inspects an image; null when the engine does not have it.</summary>
    Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Inspects a network by name or id; null when the engine has no such network.</summary>
    Task<NetworkResponse?> InspectNetworkAsync(string network, CancellationToken cancellationToken);

    /// <summary>Creates a container (named <paramref name="name"/> when given) and returns its id.</summary>
    Task<string> CreateContainerAsync(string? name, CreateContainerParameters request, CancellationToken cancellationToken);

    /// <summary>Starts a created container.</summary>
    Task StartContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>Inspects a container; null when it no longer exists.</summary>
    Task<ContainerInspectResponse?> InspectContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>Sends a signal; a container that is not running (or is gone) is not an error.</summary>
    Task KillContainerAsync(string id, string signal, CancellationToken cancellationToken);

    /// <summary>Force-removes a container and its anonymous volumes; an absent one is not an error.</summary>
    Task RemoveContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Lists containers (running or not) carrying all the given labels (a null value: any value): id, names, image,
    /// command, created, labels, state, status and mounts of each (ports, sizes, health and networks are not read).
    /// </summary>
    Task<IReadOnlyList<ContainerListResponse>> ListContainersAsync(IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken);

    /// <summary>
    /// Attaches to a container's stdin and stdout (see <see cref="IContainerAttachment"/>); before its start, so that
    /// every byte it writes arrives. Opening is bounded by the call deadline, reading and writing by their tokens.
    /// </summary>
    Task<IContainerAttachment> AttachAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Follows the container's stats stream until it ends or <paramref name="cancellationToken"/> fires,
    /// and returns the highest memory use seen (null when the engine reported none). Never throws.
    /// </summary>
    Task<long?> TrackPeakMemoryAsync(string id, CancellationToken cancellationToken);

    /// <summary>Creates a process to run in a running container (not started yet) and returns its exec id.</summary>
    Task<string> CreateExecAsync(string containerId, ContainerExecCreateParameters request, CancellationToken cancellationToken);

    /// <summary>
    /// Starts an exec created without a TTY and hands its demultiplexed stdout to <paramref name="readStdout"/>;
    /// stderr is kept up to <see cref="ExecResult.StderrLimitBytes"/>. Returns the process's exit status once its
    /// output ended. The whole call, reading included, is bounded by <paramref name="deadline"/>.
    /// </summary>
    Task<ExecResult> RunExecAsync(string execId, Func<Stream, CancellationToken, Task> readStdout, TimeSpan deadline, CancellationToken cancellationToken);

    /// <summary>
    /// The container's log (stdout only, from its start) as lines, following it until the container ends, the
    /// log exceeds <paramref name="maxBytes"/>, or <paramref name="cancellationToken"/> fires. Bounded only by the token.
    /// </summary>
    IAsyncEnumerable<string> FollowLogLinesAsync(string id, long maxBytes, CancellationToken cancellationToken);
}
