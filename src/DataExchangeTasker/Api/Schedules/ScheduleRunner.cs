using DataExchangeTasker.Api.Store;
using Serilog;

namespace DataExchangeTasker.Api.Schedules;

/// <summary>
/// Fires due schedules: each firing is claimed with a lease row update in the store (one process wins), stored as a
/// task whose id is derived from the schedule and the period, and moved to the next period in the same transaction,
/// so every period fires once across all api processes. <see cref="DueTaskPublisher"/> publishes the firing.
/// </summary>
public sealed class ScheduleRunner(ITaskStore store, DueTaskPublisher dueTasks, ApiMetrics metrics, ApiHealth health, string owner, ILogger log, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private const long LeaseMs = 30_000;
    private long _lastPrune;

    /// <summary>Runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        do
        {
            try
            {
                await RoundAsync(cancellationToken).ConfigureAwait(false);
                health.StoreError = null;
            }
            catch (StoreUnavailableException e)
            {
                health.StoreError = e.Message;
                log.Warning("Firing schedules: {Error}", e.Message);
            }
        }
        while (await WaitAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>One round; returns how many schedules fired.</summary>
    public async Task<int> RoundAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - _lastPrune > 60_000)
        {
            await store.PruneAsync(now, cancellationToken).ConfigureAwait(false);
            _lastPrune = now;
        }

        var fired = 0;
        foreach (var schedule in await store.ClaimDueSchedulesAsync(now, now + LeaseMs, owner, cancellationToken).ConfigureAwait(false))
        {
            var recurrence = schedule.EverySeconds is { } seconds ? Recurrence.ParseEvery($"every {seconds} seconds") : Recurrence.ParseCron(schedule.Cron ?? "");
            // A cron that never fires again parks the schedule at the end of time.
            var next = recurrence?.NextPeriod(schedule.NextFireAt, now) ?? long.MaxValue;
            var firing = new TaskRow
            {
                TaskId = $"{schedule.ScheduleId}-{schedule.NextFireAt}",
                ClientId = schedule.ClientId,
                ScheduleId = schedule.ScheduleId,
                State = ApiTaskStates.Queued,
                SubmitState = ApiTaskStates.Queued,
                CodePath = schedule.CodePath,
                DataPath = schedule.DataPath,
                CodeHash = schedule.CodeHash,
                LimitsJson = schedule.LimitsJson,
                CreatedAt = now,
                DueAt = now,
            };
            if (await store.FireScheduleAsync(schedule, firing, next, owner, cancellationToken).ConfigureAwait(false))
            {
                fired++;
                metrics.ScheduleFired();
            }
        }

        if (fired > 0)
        {
            dueTasks.Wake();
        }

        return fired;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
