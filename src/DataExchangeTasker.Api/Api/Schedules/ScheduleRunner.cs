using System.Text.Json;
using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using Serilog;

namespace DataExchangeTasker.Api.Schedules;

/// <summary>
/// Fires due schedules: each firing is claimed with a lease row update in the store (one process wins), stored as a
/// task whose id is derived from the schedule and the period, and moved to the next period in the same transaction,
/// so every period fires once across all api processes. A run counts against its client's tier like a request and a
/// task do; over either limit it is stored as <c>skipped</c> instead. <see cref="DueTaskPublisher"/> publishes the runs.
/// </summary>
internal sealed class ScheduleRunner(ITaskStore store, DueTaskPublisher dueTasks, Func<string, TierLimits> tierOf, TimeSpan defaultTimeLimit,
    ApiMetrics metrics, ApiHealth health, string owner, ILogger log, TimeProvider time)
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
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping mid-round: what was claimed and not fired is leased for LeaseMs and fires after that.
                return;
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
            var taskId = $"{schedule.ScheduleId}-{schedule.NextFireAt}";
            var firing = new TaskRow
            {
                TaskId = taskId,
                ClientTaskId = taskId,
                ClientId = schedule.ClientId,
                ScheduleId = schedule.ScheduleId,
                State = ApiTaskStates.Queued,
                SubmitState = ApiTaskStates.Queued,
                CodePath = schedule.CodePath,
                DataPath = schedule.DataPath,
                CodeHash = schedule.CodeHash,
                LimitsJson = schedule.LimitsJson,
                Image = schedule.Image,
                TimeLimitMs = TimeLimitMs(schedule.LimitsJson, defaultTimeLimit),
                CreatedAt = now,
                DueAt = now,
            };
            var outcome = await store.FireScheduleAsync(schedule, firing, next, owner, tierOf, cancellationToken).ConfigureAwait(false);
            if (outcome is { Fired: true, SkipReason: null })
            {
                fired++;
                metrics.ScheduleFired();
            }
            else if (outcome is { Fired: true, SkipReason: { } reason })
            {
                metrics.ScheduleSkipped();
                log.Information("Schedule {ScheduleId:l}: run {TaskId:l} skipped ({Reason:l})", schedule.ScheduleId, taskId, reason);
            }
        }

        if (fired > 0)
        {
            dueTasks.Wake();
        }

        return fired;
    }

    /// <summary>A task's time limit in ms: its limits.timeoutSeconds, else the workers' default.</summary>
    public static long TimeLimitMs(string? limitsJson, TimeSpan defaultTimeLimit) =>
        (limitsJson is null ? null : JsonSerializer.Deserialize(limitsJson, ApiJson.Context.TaskLimits)?.TimeoutSeconds) is { } seconds
            ? seconds * 1000L
            : (long)defaultTimeLimit.TotalMilliseconds;

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
