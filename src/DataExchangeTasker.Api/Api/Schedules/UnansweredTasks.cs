using DataExchangeTasker.Api.Store;
using Serilog;

namespace DataExchangeTasker.Api.Schedules;

/// <summary>
/// Ends published tasks that never got a done message (a worker lost, an answer consumed elsewhere, a purged queue)
/// once their time limit and the grace passed: error/<c>no_answer</c>, so they stop counting against their client's
/// concurrency and can be told apart. A done message that still arrives replaces the mark.
/// </summary>
internal sealed class UnansweredTasks(ITaskStore store, TimeSpan grace, TimeSpan defaultTimeLimit, ApiMetrics metrics, ApiHealth health, ILogger log, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Sweeps every second until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (StoreUnavailableException e)
                {
                    health.StoreError = e.Message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>One sweep; returns how many tasks it ended.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var marked = await store.MarkUnansweredAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), (long)grace.TotalMilliseconds,
            (long)defaultTimeLimit.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
        foreach (var task in marked)
        {
            log.Warning("Task {TaskId:l} of {ClientId:l}: no done message within its time limit and the grace ({Grace}); ended error/no_answer",
                task.TaskId, task.ClientId ?? "-", grace);
        }

        metrics.Unanswered(marked.Count);
        return marked.Count;
    }
}
