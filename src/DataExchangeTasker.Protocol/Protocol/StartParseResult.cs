namespace DataExchangeTasker.Protocol;

/// <summary>What a raw start message turned out to be.</summary>
internal abstract record StartParseResult;

/// <summary>A well-formed start message.</summary>
internal sealed record ParsedStart(StartMessage Message) : StartParseResult;

/// <summary>A message with a usable taskId but a bad field: answered with a <c>rejected</c> done of <see cref="Reason"/>.</summary>
internal sealed record InvalidStart(string TaskId, string Error) : StartParseResult
{
    /// <summary>
    /// <see cref="Reasons.InvalidMessage"/>, or <see cref="Reasons.HashMismatch"/> when the only problem is a
    /// <c>codeHash.eTag</c> that is not a sha256 code hash.
    /// </summary>
    public string Reason { get; init; } = Reasons.InvalidMessage;
}

/// <summary>A message nobody can be answered about (no usable taskId): dead-lettered with <see cref="Reason"/>.</summary>
internal sealed record UnusableStart(string Reason) : StartParseResult;
