using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// A read-only view of a stream that throws <see cref="InvalidDataException"/> once more than a set number of bytes
/// arrived, so an archive produced inside a container cannot make the tasker read without end.
/// </summary>
internal sealed class CappedReadStream(Stream inner, long capBytes) : AsyncReadOnlyStream
{
    private long _read;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _read += read;
        return _read > capBytes ? throw new InvalidDataException($"The archive is longer than {capBytes} bytes.") : read;
    }
}
