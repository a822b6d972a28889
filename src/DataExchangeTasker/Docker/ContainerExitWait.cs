using DataExchangeTasker.Docker.Models;

namespace DataExchangeTasker.Docker;

/// <summary>A registered wait for a container's exit: the engine answers the body when the container exits.</summary>
public sealed class ContainerExitWait : IDisposable
{
    private readonly IDisposable? _response;

    public ContainerExitWait(Task<ContainerWaitResponse> exited, IDisposable? response = null)
    {
        Exited = exited;
        _response = response;
    }

    /// <summary>Completes with the exit status when the container exits.</summary>
    public Task<ContainerWaitResponse> Exited { get; }

    /// <inheritdoc />
    public void Dispose() => _response?.Dispose();
}
