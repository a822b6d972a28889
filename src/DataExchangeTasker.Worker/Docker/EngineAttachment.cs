using Docker.DotNet;

namespace DataExchangeTasker.Docker;

/// <summary>
/// <see cref="IContainerAttachment"/> over the hijacked connection Docker.DotNet returns for an attach: stdout
/// demultiplexed (<see cref="DemultiplexedStdout"/>), stdin written raw (the engine does not frame it).
/// </summary>
internal sealed class EngineAttachment(MultiplexedStream connection) : IContainerAttachment
{
    private const string Operation = "POST /containers/{id}/attach";

    private readonly DemultiplexedStdout _stdout = new(connection, 0, Operation);

    /// <inheritdoc />
    public Stream Stdout => _stdout;

    /// <inheritdoc />
    public async Task WriteStdinAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await connection.WriteAsync(bytes.ToArray(), 0, bytes.Length, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && EngineErrors.Translate(Operation, e) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _stdout.DisposeAsync();
}
