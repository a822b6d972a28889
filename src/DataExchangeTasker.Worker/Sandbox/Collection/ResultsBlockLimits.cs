namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>What <see cref="ResultsBlockReader"/> keeps and accepts.</summary>
/// <param name="OutputLimitBytes">Bytes of each stream kept as text (TASKER_OUTPUT_LIMIT); the rest is only hashed.</param>
/// <param name="MaxStreamBytes">The largest stream a part may announce: the fsize ulimit caps each file at this.</param>
/// <param name="MaxArchiveBytes">The largest tar of <c>/tmp/out</c> a part may announce.</param>
internal sealed record ResultsBlockLimits(long OutputLimitBytes, long MaxStreamBytes, long MaxArchiveBytes);
