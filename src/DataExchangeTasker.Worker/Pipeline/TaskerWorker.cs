using System.Threading.Channels;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// The pipeline: intake (the <see cref="IntakeController"/> writes to a bounded channel) → N runner loops → a bounded
/// channel of outcomes → the settling lanes (<see cref="SettlementLanes"/>, each an <see cref="OutcomeSettler"/>:
/// publish, record, ack, remove). Shutdown is
/// ordered: stop intake, let running tasks finish within the drain timeout (then abandon and requeue them), settle
/// what finished, stop.
/// </summary>
internal sealed class TaskerWorker(
    Channel<InboundDelivery> intake,
    IntakeController intakeController,
    EngineWatch engineWatch,
    TaskProcessor processor,
    SettlementLanes settlement,
    HealthState health,
    TaskMetrics metrics,
    int concurrency,
    TimeSpan drainTimeout,
    ILogger log,
    IdleMemoryTrim? idleTrim = null)
{
    /// <summary>The clock the drain timeout is measured on (the composition root's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    private readonly Channel<TaskOutcome> _outcomes = Channel.CreateBounded<TaskOutcome>(
        new BoundedChannelOptions(Math.Max(concurrency, 1) * 2) { SingleReader = settlement.Count == 1, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>
    /// Runs until <paramref name="stopping"/> fires, then drains. <paramref name="abort"/> (a second signal)
    /// gives up on draining and publishing at once; unacked messages then return to the queue.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken abort)
    {
        using var runCancel = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var runners = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => RunnerLoopAsync(stopping, runCancel.Token), CancellationToken.None)).ToArray();
        var settling = settlement.RunAsync(_outcomes.Reader, abort);
        var watching = Task.Run(() => Task.WhenAll(engineWatch.RunAsync(stopping), intakeController.RunAsync(stopping)), CancellationToken.None);
        try
        {
            await engineWatch.CheckAsync(stopping).ConfigureAwait(false);
            await intakeController.ReconcileAsync(stopping).ConfigureAwait(false);
            if (intakeController.IsConsuming)
            {
                log.Information("Ready: {Concurrency} task(s) at a time", concurrency);
                idleTrim?.Ready();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped while starting.
        }
        catch (Exception e)
        {
            // The intake owner keeps trying on its own.
            log.Warning("Not ready yet: {Error}", e.Message);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown requested.
        }

        health.Draining = true;
        log.Information("Stopping: no new tasks; waiting up to {DrainTimeout} for running ones", drainTimeout);
        await intakeController.StopAsync(CancellationToken.None).ConfigureAwait(false);
        intake.Writer.TryComplete();
        await watching.ConfigureAwait(false);

        var allRunners = Task.WhenAll(runners);
        var drained = await Task.WhenAny(allRunners, Task.Delay(drainTimeout, Time, abort)).ConfigureAwait(false) == allRunners;
        if (!drained)
        {
            log.Warning("Drain timeout reached; stopping the remaining containers and requeueing their messages");
            await runCancel.CancelAsync().ConfigureAwait(false);
        }

        await allRunners.ConfigureAwait(false);
        _outcomes.Writer.TryComplete();
        await settling.ConfigureAwait(false);
        log.Information("Stopped");
    }

    private async Task RunnerLoopAsync(CancellationToken stopping, CancellationToken cancel)
    {
        await foreach (var delivery in intake.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (stopping.IsCancellationRequested)
            {
                // Prefetched but not started: another tasker (or this one after restart) takes it.
                await _outcomes.Writer.WriteAsync(new RequeueOutcome(delivery), CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            metrics.InFlight(1);
            idleTrim?.Entered();
            using var activity = TaskTracing.Start(delivery);
            TaskOutcome outcome;
            try
            {
                outcome = await processor.ProcessAsync(delivery, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // Cancelled before the task's key was claimed (waiting for another delivery of it).
                outcome = new RequeueOutcome(delivery);
            }
            finally
            {
                metrics.InFlight(-1);
                idleTrim?.Left();
            }

            TaskTracing.Complete(activity, outcome);
            outcome = outcome with { TraceParent = TaskTracing.TraceParentOf(activity, delivery) };
            await _outcomes.Writer.WriteAsync(outcome, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
