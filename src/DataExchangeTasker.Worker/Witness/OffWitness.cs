using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Witness;

/// <summary>No witness (<c>TASKER_WITNESS=off</c>, or <c>auto</c> on a host that cannot have one): every run says why.</summary>
internal sealed class OffWitness(string why) : ITaskWitness
{
    /// <summary>Why there is no witness.</summary>
    public string Why { get; } = why;

    /// <inheritdoc />
    public string Description => "off: " + Why;

    /// <inheritdoc />
    public ValueTask<IWitnessSession> BeginAsync(PreparedTask task, string containerId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IWitnessSession>(new Session(WitnessSummary.NotWatched(Why)));

    /// <inheritdoc />
    public WitnessSummary NotWatched(string why) => WitnessSummary.NotWatched(Why);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Session(WitnessSummary summary) : IWitnessSession
    {
        public void ContainerStarted()
        {
        }

        public Task<WitnessSummary> FinishAsync(CancellationToken cancellationToken) => Task.FromResult(summary);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
