namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>One of the code's streams (or the trace) as collected: the kept text and the whole stream's digest.</summary>
/// <param name="Text">Up to the output limit, decoded as UTF-8, and whether more was there.</param>
/// <param name="Length">Bytes the whole stream had.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the whole stream (for an audit record), not just of the kept part.</param>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a collected output stream (stdout, stderr, trace), not a System.IO.Stream; the wire calls these streams.")]
internal sealed record CollectedStream(BoundedText Text, long Length, string Sha256)
{
    /// <summary>SHA-256 of nothing.</summary>
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>True when the whole stream is valid UTF-8.</summary>
    public bool Utf8 { get; init; } = true;

    /// <summary>The whole stream's digest, as a receipt records it.</summary>
    public Protocol.StreamDigest Digest => new(Length, Sha256, Utf8);

    /// <summary>A stream that was not in the archive.</summary>
    public static CollectedStream Missing { get; } = new(BoundedText.Empty, 0, EmptySha256);
}
