using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// A read-through view of a tar stream that keeps the bytes read from a given offset on (up to 64 KiB): the header
/// blocks of the next entry, from which <see cref="TarRawName"/> reads the name's own bytes. System.Formats.Tar
/// decodes names as UTF-8 and replaces what is not, so two different such names would look alike.
/// </summary>
internal sealed class TarHeaderRecorder(Stream inner) : AsyncReadOnlyStream
{
    private const int MaxRecorded = 64 * 1024;
    private readonly MemoryStream _recorded = new();
    private long _position;
    private long _from = long.MaxValue;
    private bool _overflowed;

    /// <summary>Bytes read so far.</summary>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>What was read from the offset given to <see cref="RecordFrom"/> on; empty when it outgrew the cap.</summary>
    public ReadOnlySpan<byte> Recorded => _overflowed ? [] : _recorded.GetBuffer().AsSpan(0, (int)_recorded.Length);

    /// <summary>Forgets what was kept and keeps what is read from <paramref name="offset"/> (a stream position) on.</summary>
    public void RecordFrom(long offset)
    {
        _recorded.SetLength(0);
        _overflowed = false;
        _from = offset;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        var start = _position;
        _position += read;
        if (read > 0 && _position > _from && !_overflowed)
        {
            var skip = (int)Math.Max(0, _from - start);
            if (_recorded.Length + read - skip > MaxRecorded)
            {
                _overflowed = true;
            }
            else
            {
                _recorded.Write(buffer.Span[skip..read]);
            }
        }

        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _recorded.Dispose();
        }

        base.Dispose(disposing);
    }
}
