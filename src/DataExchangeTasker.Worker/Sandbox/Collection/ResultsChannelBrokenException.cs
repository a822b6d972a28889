namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// The supervisor's results block did not arrive as announced: it ended early, a line was not the protocol's, or a
/// part's length or SHA-256 did not match its header. Nothing of it may be used; the results are still in the
/// container (a running one can be collected with <c>docker exec</c>). Not an <see cref="IOException"/>: whoever reads
/// the block (the output extractor) must not take it for a failure of its own disk.
/// </summary>
internal sealed class ResultsChannelBrokenException : Exception
{
    /// <summary>Creates the exception with what did not match.</summary>
    public ResultsChannelBrokenException(string message)
        : base(message)
    {
    }

    /// <summary>Required by the exception pattern.</summary>
    public ResultsChannelBrokenException()
        : this("The results block is broken.")
    {
    }

    /// <summary>Required by the exception pattern.</summary>
    public ResultsChannelBrokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
