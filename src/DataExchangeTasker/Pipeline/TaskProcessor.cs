using DataExchangeTasker.Docker;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox;
using Docker.DotNet.Models;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Decides and does what one start message needs: dead-letter it, reject it, adopt the container an earlier
/// delivery left, or run it, retrying engine failures with backoff. A failed task is a done message, never an
/// exception; only cancellation (shutdown) escapes.
/// </summary>
public sealed class TaskProcessor(TaskPreparer preparer, SandboxRunner runner, ActiveSites active, int maxRetries, ILogger log)
{
    /// <summary>First retry delay after an engine failure; doubles each time.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Processes one delivery into the outcome the publisher stage carries out.</summary>
    public async Task<TaskOutcome> ProcessAsync(InboundDelivery delivery, CancellationToken cancellationToken)
    {
        switch (StartMessageParser.Parse(delivery.Body))
        {
            case UnusableStart unusable:
                log.Warning("Dead-lettering a start message: {Reason:l}", unusable.Reason);
                return new DeadLetterOutcome(delivery, unusable.Reason);
            case InvalidStart invalid:
                return new AnswerOutcome(delivery, DoneMessage.Rejected(invalid.TaskId, Reasons.InvalidMessage, invalid.Error), null);
            case ParsedStart parsed:
                return await ProcessAsync(delivery, parsed.Message, cancellationToken).ConfigureAwait(false);
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    private async Task<TaskOutcome> ProcessAsync(InboundDelivery delivery, StartMessage message, CancellationToken cancellationToken)
    {
        var site = runner.SiteOf(message.TaskId);
        while (!active.TryClaim(site.Key))
        {
            // The same task is in flight here (a redelivery racing its original): let the original finish.
            if (await active.WaitAsync(site.Key, cancellationToken).ConfigureAwait(false))
            {
                log.Information("Task {TaskId:l} was answered by an earlier delivery; acknowledging this one", message.TaskId);
                return new AlreadyAnsweredOutcome(delivery, site);
            }
        }

        try
        {
            var outcome = await ProcessClaimedAsync(delivery, message, site, cancellationToken).ConfigureAwait(false);
            return outcome with { ClaimedKey = site.Key };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug, not an input: the worker answers with an error, so nothing of the task may linger.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await TryAbandonAsync(site, cleanup.Token).ConfigureAwait(false);
            active.Release(site.Key, answered: false);
            throw;
        }
        catch
        {
            active.Release(site.Key, answered: false);
            throw;
        }
    }

    private async Task<TaskOutcome> ProcessClaimedAsync(InboundDelivery delivery, StartMessage message, TaskSite site, CancellationToken cancellationToken)
    {
        if (File.Exists(site.PublishedMarker))
        {
            if (delivery.Redelivered)
            {
                log.Information("Task {TaskId:l} was answered before a restart; acknowledging the redelivery", message.TaskId);
                return new AlreadyAnsweredOutcome(delivery, site);
            }

            // A fresh start message reusing an old taskId: a new request, run it again.
            File.Delete(site.PublishedMarker);
        }

        var (task, rejection) = await preparer.PrepareAsync(message, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            // Nothing of a rejected task ever ran, so the engine need not be asked.
            // The publisher logs the answer with its reason; this line only helps when debugging.
            log.Debug("Task {TaskId:l} rejected: {Reason:l} {Output}", message.TaskId, rejection!.Reason, rejection.Message);
            return new AnswerOutcome(delivery, DoneMessage.Rejected(message.TaskId, rejection.Reason, rejection.Message), null);
        }

        var delay = RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Only a redelivery (or a retry, or a name conflict) can find an earlier container: a first delivery
                // skips the engine round trip, and a conflicting create sends it back here to adopt.
                var existing = delivery.Redelivered || attempt > 0
                    ? await runner.FindAsync(site, cancellationToken).ConfigureAwait(false)
                    : null;
                if (existing is not null && existing.State?.Status != "created")
                {
                    return await AdoptAsync(delivery, message, task, site, existing, cancellationToken).ConfigureAwait(false);
                }

                if (existing is not null)
                {
                    // Created but never started by an earlier attempt: the code has not run, start afresh.
                    await runner.AbandonAsync(site, cancellationToken).ConfigureAwait(false);
                }

                var run = await runner.RunAsync(task, site, cancellationToken).ConfigureAwait(false);
                return new AnswerOutcome(delivery, ResultClassifier.Classify(message.TaskId, task.Limits, run), site) { ContainerId = SandboxRunner.ShortId(run.ContainerId) };
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutdown past the drain timeout: stop the code; the message is requeued and runs afresh later.
                using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await TryAbandonAsync(site, cleanup.Token).ConfigureAwait(false);
                throw;
            }
            catch (TaskAlreadyRunningException)
            {
                // Another delivery of this task created the container meanwhile; the next pass adopts it.
                continue;
            }
            catch (DockerApiException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt >= maxRetries || !e.IsTransient)
                {
                    log.Error("Task {TaskId:l} failed because of the Docker engine after {Attempts} attempt(s): {Error}", message.TaskId, attempt + 1, e.Message);
                    await TryAbandonAsync(site, cancellationToken).ConfigureAwait(false);
                    var output = $"The Docker engine failed after {attempt + 1} attempt(s): {e.Message}";
                    return new AnswerOutcome(delivery, new DoneMessage(message.TaskId, TaskStates.Error, output, null, null, Reasons.Infrastructure, 0), null);
                }

                log.Warning("Task {TaskId:l}: Docker engine error (attempt {Attempt} of {Max}), retrying in {Delay}: {Error}",
                    message.TaskId, attempt + 1, maxRetries + 1, delay, e.Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    private async Task<TaskOutcome> AdoptAsync(InboundDelivery delivery, StartMessage message, PreparedTask task, TaskSite site, ContainerInspectResponse existing, CancellationToken cancellationToken)
    {
        log.Information("Task {TaskId:l} already has container {ContainerId:l} ({Status:l}) on this host; adopting it instead of running the code again",
            message.TaskId, SandboxRunner.ShortId(existing.ID), existing.State?.Status);
        var limits = task.Limits;
        var run = await runner.AdoptAsync(existing, site, limits.Timeout, cancellationToken).ConfigureAwait(false);
        return new AnswerOutcome(delivery, ResultClassifier.Classify(message.TaskId, limits, run), site) { ContainerId = SandboxRunner.ShortId(run.ContainerId) };
    }

    private async Task TryAbandonAsync(TaskSite site, CancellationToken cancellationToken)
    {
        try
        {
            await runner.AbandonAsync(site, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            // The engine is down; start-up cleanup removes what is left once it is back.
            log.Warning("Could not remove container {Key:l}: {Error}", site.Key, e.Message);
            site.DeleteFiles();
        }
    }
}
