namespace DataExchangeTasker.Api.Store;

/// <summary>A page of tasks, newest first.</summary>
/// <param name="ClientId">Only this client's tasks; null for all (admin).</param>
/// <param name="State">Only tasks in this state; null for any.</param>
/// <param name="BeforeSeq">Only tasks older than this cursor; null for the newest.</param>
/// <param name="Limit">Page size.</param>
/// <param name="WithDone">With the done bodies (left out by default: traces can be large).</param>
internal sealed record TaskQuery(string? ClientId, string? State, long? BeforeSeq, int Limit, bool WithDone = false);
