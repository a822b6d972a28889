namespace DataExchangeTasker.Sandbox.Claims;

/// <summary>
/// The task key: the name of a task's container and of its results folder, derived from its taskId
/// (<see cref="Spec.ContainerLabels"/>). Deliveries of one task claim it (<see cref="ClaimedContainers"/>).
/// </summary>
/// <remarks>
/// Nothing of a task is kept in a host folder the container can reach: its results come back through the Engine API,
/// and what was answered is recorded apart from the container (<see cref="Pipeline.AnswerLedger"/>), so removing the
/// container never forgets an answer.
/// </remarks>
/// <param name="Key">The container name (and results folder name).</param>
internal sealed record TaskKey(string Key);
