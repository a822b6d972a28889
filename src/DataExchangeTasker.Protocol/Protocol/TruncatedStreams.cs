namespace DataExchangeTasker.Protocol;

/// <summary>Which streams were longer than the output limit and were cut, and whether output files were dropped.</summary>
public sealed record TruncatedStreams(bool Stdout, bool Stderr, bool Strace)
{
    /// <summary>Nothing was cut.</summary>
    public static TruncatedStreams None { get; } = new(false, false, false);

    /// <summary>
    /// Output files past <c>TASKER_OUTPUT_FILES_LIMIT</c> files or the work size limit in total were dropped
    /// (or refused: links, devices, FIFOs, unsafe names).
    /// </summary>
    public bool Files { get; init; }
}
