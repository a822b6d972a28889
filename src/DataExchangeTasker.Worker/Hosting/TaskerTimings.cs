using DataExchangeTasker.Docker;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Resilience;

namespace DataExchangeTasker.Hosting;

/// <summary>
/// The fixed waits of <c>tasker run</c> that are not operator settings: deadlines, intervals and retry shapes. The
/// composition root (<see cref="TaskerHost"/>) hands each to the part it builds, so that tests can run the same
/// behaviour with short waits instead of sitting out production ones. <see cref="Production"/> is what the tasker
/// runs with. (The grace a timed-out task's container gets to stop, the collect window and the collect deadlines
/// belong to the container run sequence, <see cref="Sandbox.Run.SealedContainer"/>; they are waited on <see cref="Time"/>.)
/// </summary>
public sealed record TaskerTimings
{
    /// <summary>The values <c>tasker run</c> uses.</summary>
    public static TaskerTimings Production { get; } = new();

    /// <summary>
    /// The clock the tasker's own waits are measured on (the intervals and deadlines below, a task's time limit and
    /// grace, the drain timeout) and the one its ages are read from (sweep, answer ledger, cancel memory); tests hand a
    /// fake one and move it instead of waiting. The engine client's and the broker client's own timeouts are not on it.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Deadline of one ordinary engine call (create, inspect, remove, list, ...): a hung engine is noticed after it.</summary>
    public TimeSpan EngineCallDeadline { get; init; } = DockerEngine.DefaultCallTimeout;

    /// <summary>Deadline of the engine ping the health watch sends.</summary>
    public TimeSpan EnginePingDeadline { get; init; } = DockerEngine.DefaultPingTimeout;

    /// <summary>Time between two checks of the engine, the runner image and the results root.</summary>
    public TimeSpan EngineWatchInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long pausing intake for an engine outage may take before the task's message is put back anyway.</summary>
    public TimeSpan EngineOutagePauseDeadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time between two intake decisions when nothing (engine change, recovery) asks for one earlier.</summary>
    public TimeSpan IntakeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often leftover and kept-alive containers, snapshots and installed requirements are swept.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long no task must run before the tasker gives memory back to the system (<see cref="Pipeline.IdleMemoryTrim"/>).</summary>
    public TimeSpan IdleTrimQuiet { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the removal of an answered task's container waits before it lets running creates and starts go first.</summary>
    public TimeSpan RemovalSettle { get; init; } = Pipeline.BackgroundContainerRemover.DefaultSettle;

    /// <summary>The longest the removal of an answered task's container waits for a moment without creates and starts.</summary>
    public TimeSpan RemovalYieldLimit { get; init; } = Pipeline.BackgroundContainerRemover.DefaultYieldLimit;

    /// <summary>The broker connection's RPC timeout, recovery interval and heartbeat.</summary>
    public BrokerConnectionTimings Broker { get; init; } = BrokerConnectionTimings.Default;

    /// <summary>Retries of the copy to a start message's <c>reply_to</c> (<see cref="RetryPipelines.ReplyPublish"/>).</summary>
    public RetryShape ReplyRetry { get; init; } = RetryPipelines.ReplyPublish;

    /// <summary>Retries of subscribing to the todo queue (<see cref="RetryPipelines.Subscribe"/>).</summary>
    public RetryShape SubscribeRetry { get; init; } = RetryPipelines.Subscribe;
}
