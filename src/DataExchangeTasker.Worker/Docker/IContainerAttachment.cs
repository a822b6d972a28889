namespace DataExchangeTasker.Docker;

/// <summary>
/// A connection to a container's stdin and stdout (<c>POST /containers/{id}/attach</c>, stream mode, no TTY), opened
/// before the container starts so that nothing it writes is missed. The engine keeps no copy of what passes through
/// it; closing it neither stops the container nor closes the container's stdin.
/// </summary>
public interface IContainerAttachment : IAsyncDisposable
{
    /// <summary>
    /// What the container writes to stdout, from its first byte, ending when the container's stdout closes (it
    /// exited). A failure of the engine's connection surfaces as <see cref="DockerApiException"/>.
    /// </summary>
    Stream Stdout { get; }

    /// <summary>Writes <paramref name="bytes"/> to the container's stdin; a failed connection is a <see cref="DockerApiException"/>.</summary>
    Task WriteStdinAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);
}
