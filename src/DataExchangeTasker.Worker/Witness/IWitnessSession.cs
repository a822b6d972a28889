using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Witness;

/// <summary>The witness's watch over one task's run; disposing it without <see cref="FinishAsync"/> drops what was seen.</summary>
public interface IWitnessSession : IAsyncDisposable
{
    /// <summary>The container has started (the witness may now look up where the data is mounted in it).</summary>
    void ContainerStarted();

    /// <summary>
    /// Called once the code has ended: waits until every open the kernel reported until now is accounted for, stops
    /// watching, and says what the task opened.
    /// </summary>
    Task<WitnessSummary> FinishAsync(CancellationToken cancellationToken);
}
