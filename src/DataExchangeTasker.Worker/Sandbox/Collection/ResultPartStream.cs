using System.Security.Cryptography;
using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// One part of the supervisor's results block as a read-only stream: exactly the announced number of bytes of the
/// channel, hashed as they pass. <see cref="VerifyAsync"/> reads what its consumer left and checks the SHA-256; a
/// channel that ends inside the part is a <see cref="ResultsChannelBrokenException"/>.
/// </summary>
internal sealed class ResultPartStream(Stream channel, ResultPartHeader header) : AsyncReadOnlyStream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _remaining = header.Length;

    public override long Length => header.Length;

    public override long Position
    {
        get => header.Length - _remaining;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining == 0 || buffer.Length == 0)
        {
            return 0;
        }

        var wanted = buffer[..(int)Math.Min(buffer.Length, _remaining)];
        var read = await channel.ReadAsync(wanted, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new ResultsChannelBrokenException($"The results channel ended {_remaining} bytes before the end of part {header.Name}.");
        }

        _sha256.AppendData(wanted.Span[..read]);
        _remaining -= read;
        return read;
    }

    /// <summary>Reads the rest of the part and checks its digest.</summary>
    public async Task VerifyAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[81920];
        while (await ReadAsync(scratch, cancellationToken).ConfigureAwait(false) > 0)
        {
        }

        var seen = Convert.ToHexStringLower(_sha256.GetHashAndReset());
        if (!string.Equals(seen, header.Sha256, StringComparison.Ordinal))
        {
            throw new ResultsChannelBrokenException($"Part {header.Name} of the results block has SHA-256 {seen}, not the {header.Sha256} its header announced.");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
        }

        base.Dispose(disposing);
    }
}
