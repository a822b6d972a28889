using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Witness;

/// <summary>
/// A record, kept outside the sandbox, of the data files each task's processes opened (<c>TASKER_WITNESS</c>).
/// The sandbox runner asks for a session per task before its container starts and closes it once the code has ended.
/// </summary>
public interface ITaskWitness : IAsyncDisposable
{
    /// <summary>One line for the start-up log and <c>tasker run --check</c>.</summary>
    string Description { get; }

    /// <summary>Starts watching the data of <paramref name="task"/> for container <paramref name="containerId"/> (created, not yet started).</summary>
    ValueTask<IWitnessSession> BeginAsync(PreparedTask task, string containerId, CancellationToken cancellationToken);

    /// <summary>The summary for a run this witness did not watch (e.g. a container adopted after a restart).</summary>
    WitnessSummary NotWatched(string why);
}
