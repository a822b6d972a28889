using System.Threading.Channels;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// The settling stage: one loop per lane over the outcomes, each lane settling one outcome at a time with its own
/// <see cref="OutcomeSettler"/> (whose publishers have a broker channel of their own). An answer therefore waits for
/// its own confirm only, never behind another task's: with one lane per task slot, quick answers (rejections, dead
/// letters) are published, confirmed and acked concurrently instead of one confirm round trip after another. Each
/// outcome keeps its order (publish, confirm, record, ack, remove); how many start messages are in flight is still
/// the prefetch, so nothing here changes what a node takes from the queue.
/// </summary>
internal sealed class SettlementLanes
{
    private readonly IReadOnlyList<OutcomeSettler> _lanes;
    private readonly ILogger _log;

    /// <summary>Creates the stage with one lane per settler (at least one).</summary>
    public SettlementLanes(IReadOnlyList<OutcomeSettler> lanes, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(lanes);
        ArgumentOutOfRangeException.ThrowIfZero(lanes.Count);
        _lanes = lanes;
        _log = log;
    }

    /// <summary>Number of lanes: outcomes settled at once.</summary>
    public int Count => _lanes.Count;

    /// <summary>
    /// Settles outcomes until <paramref name="outcomes"/> is completed and empty. <paramref name="abort"/> stops publishes
    /// that wait for the broker; their start messages are then redelivered.
    /// </summary>
    public Task RunAsync(ChannelReader<TaskOutcome> outcomes, CancellationToken abort) =>
        Task.WhenAll(_lanes.Select(lane => Task.Run(() => LaneAsync(lane, outcomes, abort), CancellationToken.None)));

    private async Task LaneAsync(OutcomeSettler settler, ChannelReader<TaskOutcome> outcomes, CancellationToken abort)
    {
        await foreach (var outcome in outcomes.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                await settler.SettleAsync(outcome, abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                _log.Warning("Aborted before the outcome was published; the broker will redeliver the start message");
            }
            catch (Exception e)
            {
                _log.Error(e, "Publishing an outcome failed; the broker will redeliver the start message");
            }
        }
    }
}
