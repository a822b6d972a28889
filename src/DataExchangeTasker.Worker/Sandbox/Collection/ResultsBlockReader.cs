using System.Runtime.ExceptionServices;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Run;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// Reads the supervisor's results block (protocol version 2, <c>runner-image/supervise.sh</c>), which follows its
/// "results ready" line on the results channel: five header lines <c>part &lt;name&gt; &lt;bytes&gt; &lt;sha256&gt;</c>
/// (manifest, stdout, stderr, strace, outputs, in that order), <c>data</c>, the parts back to back, <c>end</c>. Each
/// part is read as exactly its announced length and checked against its digest; the streams are kept up to the output
/// limit and hashed whole, like <see cref="SupervisorArchiveReader"/> does, and the outputs part (a tar of
/// <c>/tmp/out</c>) is handed to the caller's reader. Anything that does not match is a
/// <see cref="ResultsChannelBrokenException"/>, raised before any of the results is returned. Engine failures pass
/// through as <see cref="DockerApiException"/>, the outputs reader's own failures as themselves (once the part was
/// read and found intact).
/// </summary>
internal static class ResultsBlockReader
{
    /// <summary>The parts, in the order the supervisor writes them.</summary>
    public static readonly IReadOnlyList<string> Parts = ["manifest", "stdout", "stderr", "strace", "outputs"];

    private const int HeaderLineBytes = 128;

    /// <summary>
    /// Reads the block from <paramref name="channel"/> (a buffered stream positioned after the "results ready" line).
    /// <paramref name="readOutputs"/> gets the outputs part when it is not empty; it need not read it to its end.
    /// </summary>
    public static async Task<SupervisorResults> ReadAsync(Stream channel, ResultsBlockLimits limits, Func<Stream, CancellationToken, Task> readOutputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(readOutputs);
        var headers = new List<ResultPartHeader>(Parts.Count);
        foreach (var name in Parts)
        {
            var line = await ExpectLineAsync(channel, cancellationToken).ConfigureAwait(false);
            var header = ResultPartHeader.Parse(line, name) ?? throw new ResultsChannelBrokenException($"Expected the header of part {name} in the results block, got \"{Shorten(line)}\".");
            var cap = name switch
            {
                "manifest" => SupervisorManifest.MaxBytes,
                "outputs" => limits.MaxArchiveBytes,
                _ => limits.MaxStreamBytes,
            };
            if (header.Length > cap)
            {
                throw new ResultsChannelBrokenException($"Part {name} of the results block announces {header.Length} bytes, more than the {cap} it can hold.");
            }

            headers.Add(header);
        }

        if (await ExpectLineAsync(channel, cancellationToken).ConfigureAwait(false) is var data && data != "data")
        {
            throw new ResultsChannelBrokenException($"Expected \"data\" after the part headers of the results block, got \"{Shorten(data)}\".");
        }

        var manifest = await ReadPartAsync(channel, headers[0], part => StreamCollector.ManifestAsync(part, cancellationToken)).ConfigureAwait(false);
        var stdout = await ReadPartAsync(channel, headers[1], part => StreamCollector.CollectAsync(part, limits.OutputLimitBytes, cancellationToken)).ConfigureAwait(false);
        var stderr = await ReadPartAsync(channel, headers[2], part => StreamCollector.CollectAsync(part, limits.OutputLimitBytes, cancellationToken)).ConfigureAwait(false);
        // The summary sees every byte of the trace, not just the part the done message keeps.
        var summarizer = new TraceSummaryBuilder();
        var strace = await ReadPartAsync(channel, headers[3], part => StreamCollector.CollectAsync(part, limits.OutputLimitBytes, cancellationToken, summarizer)).ConfigureAwait(false);
        var outputsFailure = await ReadOutputsAsync(channel, headers[4], readOutputs, cancellationToken).ConfigureAwait(false);
        if (await ExpectLineAsync(channel, cancellationToken).ConfigureAwait(false) is var end && end != "end")
        {
            throw new ResultsChannelBrokenException($"Expected \"end\" after the parts of the results block, got \"{Shorten(end)}\".");
        }

        outputsFailure?.Throw();
        return new SupervisorResults(stdout, stderr, strace, manifest) { TraceSummary = summarizer.Build() };
    }

    private static async Task<T> ReadPartAsync<T>(Stream channel, ResultPartHeader header, Func<Stream, Task<T>> read)
    {
        await using var part = new ResultPartStream(channel, header);
        T value;
        try
        {
            value = await read(part).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            // A manifest that does not parse: first see whether the channel garbled it.
            await part.VerifyAsync(CancellationToken.None).ConfigureAwait(false);
            throw new ResultsChannelBrokenException($"Part {header.Name} of the results block is unusable: {e.Message}", e);
        }

        await part.VerifyAsync(CancellationToken.None).ConfigureAwait(false);
        return value;
    }

    /// <summary>Hands the outputs part to its reader; returns the reader's own failure, to be raised once the block is known intact.</summary>
    private static async Task<ExceptionDispatchInfo?> ReadOutputsAsync(Stream channel, ResultPartHeader header, Func<Stream, CancellationToken, Task> readOutputs, CancellationToken cancellationToken)
    {
        await using var part = new ResultPartStream(channel, header);
        ExceptionDispatchInfo? failure = null;
        if (header.Length > 0)
        {
            try
            {
                await readOutputs(part, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not (OperationCanceledException or DockerApiException or ResultsChannelBrokenException))
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }

        await part.VerifyAsync(cancellationToken).ConfigureAwait(false);
        return failure;
    }

    private static async Task<string> ExpectLineAsync(Stream channel, CancellationToken cancellationToken)
    {
        var line = await ChannelLine.ReadAsync(channel, HeaderLineBytes, cancellationToken).ConfigureAwait(false);
        return line switch
        {
            null or { Terminated: false } => throw new ResultsChannelBrokenException("The results channel ended inside the results block."),
            { Overlong: true } => throw new ResultsChannelBrokenException($"A line of the results block is longer than {HeaderLineBytes} bytes: \"{Shorten(line.Text)}\"."),
            _ => line.Text,
        };
    }

    private static string Shorten(string line) => line.Length > 80 ? line[..80] + "…" : line;
}
