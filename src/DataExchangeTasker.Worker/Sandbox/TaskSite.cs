namespace DataExchangeTasker.Sandbox;

/// <summary>Where a task lives on this host: its container name (and results folder name), derived from its taskId.</summary>
/// <remarks>
/// Nothing of a task is kept in a host folder the container can reach: its results come back through the Engine API,
/// and what was answered is recorded apart from the site (<see cref="Pipeline.AnswerLedger"/>), so removing a site
/// never forgets an answer.
/// </remarks>
/// <param name="Key">The container name (and results folder name).</param>
public sealed record TaskSite(string Key);
