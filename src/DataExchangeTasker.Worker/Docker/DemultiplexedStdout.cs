using System.Text;
using Docker.DotNet;

namespace DataExchangeTasker.Docker;

/// <summary>
/// The stdout of a non-TTY exec or log stream as a plain read-only <see cref="Stream"/>: stderr frames are kept
/// aside (up to a cap) instead of being mixed in, so a tar stream on stdout stays intact. A failure to read from
/// the engine surfaces as <see cref="DockerApiException"/> (the boundary's type), so whoever reads this stream can
/// tell the engine's failures from its own.
/// </summary>
internal sealed class DemultiplexedStdout(MultiplexedStream inner, int stderrLimitBytes, string operation) : AsyncReadOnlyStream
{
    private readonly MemoryStream _stderr = new();

    /// <summary>The start of what arrived on stderr.</summary>
    public string Stderr => Encoding.UTF8.GetString(_stderr.GetBuffer(), 0, (int)_stderr.Length);

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        var chunk = new byte[Math.Min(buffer.Length, 81920)];
        while (true)
        {
            MultiplexedStream.ReadResult result;
            try
            {
                result = await inner.ReadOutputAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && EngineErrors.Translate(operation, e) is { } translated)
            {
                throw translated;
            }

            if (result.EOF)
            {
                return 0;
            }

            if (result.Target == MultiplexedStream.TargetStream.StandardError)
            {
                var room = stderrLimitBytes - (int)_stderr.Length;
                _stderr.Write(chunk, 0, Math.Clamp(room, 0, result.Count));
                continue;
            }

            chunk.AsSpan(0, result.Count).CopyTo(buffer.Span);
            return result.Count;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _stderr.Dispose();
        }

        base.Dispose(disposing);
    }
}
