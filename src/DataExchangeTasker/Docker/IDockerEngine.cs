using DataExchangeTasker.Docker.Models;

namespace DataExchangeTasker.Docker;

/// <summary>
/// The Engine API calls the tasker makes. Every failure surfaces as <see cref="DockerApiException"/>;
/// "not found" answers that are expected (inspect, remove) are folded into return values instead.
/// </summary>
public interface IDockerEngine
{
    /// <summary>Pings the engine and returns the API version this client will use with it.</summary>
    Task<string> PingAsync(CancellationToken cancellationToken);

    /// <summary>Engine version information.</summary>
    Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary>Inspects an image; null when the engine does not have it.</summary>
    Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Creates a container and returns its id.</summary>
    Task<string> CreateContainerAsync(string? name, ContainerCreateRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Registers a wait for the container's next exit and returns once the engine has accepted it, so that
    /// a container started afterwards cannot exit unseen.
    /// </summary>
    Task<ContainerExitWait> WaitForNextExitAsync(string id, CancellationToken cancellationToken);

    /// <summary>Starts a created container.</summary>
    Task StartContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>Inspects a container; null when it no longer exists.</summary>
    Task<ContainerInspectResponse?> InspectContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>Sends a signal; a container that is not running is not an error.</summary>
    Task KillContainerAsync(string id, string signal, CancellationToken cancellationToken);

    /// <summary>Force-removes a container and its anonymous volumes; an absent one is not an error.</summary>
    Task RemoveContainerAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists containers (running or not) carrying all the given labels.</summary>
    Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken);

    /// <summary>
    /// Follows the container's stats stream until it ends or <paramref name="cancellationToken"/> fires,
    /// and returns the highest memory use seen (null when the engine reported none).
    /// </summary>
    Task<long?> TrackPeakMemoryAsync(string id, CancellationToken cancellationToken);
}
