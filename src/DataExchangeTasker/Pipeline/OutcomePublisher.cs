using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Sandbox;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// The last stage: publishes each outcome with a broker confirm, records that it did, acks the start message,
/// and only then removes the task's container and work folder.
/// </summary>
public sealed class OutcomePublisher(DonePublisher done, DeadLetterPublisher deadLetters, Acknowledger acks, SandboxRunner runner, ActiveSites active, TaskMetrics metrics, ILogger log)
{
    /// <summary>Carries out one outcome. Cancellation stops a publish that is waiting for the broker.</summary>
    public async Task HandleAsync(TaskOutcome outcome, CancellationToken cancellationToken)
    {
        var answered = false;
        try
        {
            answered = await CarryOutAsync(outcome, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (outcome.ClaimedKey is { } key)
            {
                active.Release(key, answered);
            }
        }
    }

    private async Task<bool> CarryOutAsync(TaskOutcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case AnswerOutcome answer:
                await done.PublishAsync(answer.Done, answer.Delivery, answer.TraceParent, cancellationToken).ConfigureAwait(false);
                if (answer.Site is { } site)
                {
                    await File.WriteAllTextAsync(site.PublishedMarker, answer.Done.TaskId, cancellationToken).ConfigureAwait(false);
                }

                metrics.Completed(answer.Done);
                log.ForContext("TaskId", answer.Done.TaskId)
                    .Information("Task {TaskId} ended {State}{ReasonSuffix} in {DurationMs} ms", answer.Done.TaskId, answer.Done.State,
                        answer.Done.Reason is null ? "" : " (" + answer.Done.Reason + ")", answer.Done.DurationMs);
                await acks.AckAsync(answer.Delivery, cancellationToken).ConfigureAwait(false);
                await CleanupAsync(answer.Site, cancellationToken).ConfigureAwait(false);
                return true;
            case AlreadyAnsweredOutcome already:
                await acks.AckAsync(already.Delivery, cancellationToken).ConfigureAwait(false);
                await CleanupAsync(already.Site, cancellationToken).ConfigureAwait(false);
                return true;
            case DeadLetterOutcome dead:
                await deadLetters.PublishAsync(dead.Delivery, dead.Reason, cancellationToken).ConfigureAwait(false);
                metrics.DeadLettered();
                await acks.AckAsync(dead.Delivery, cancellationToken).ConfigureAwait(false);
                return true;
            case RequeueOutcome requeue:
                await acks.RequeueAsync(requeue.Delivery, cancellationToken).ConfigureAwait(false);
                return false;
            default:
                return false;
        }
    }

    private async Task CleanupAsync(TaskSite? site, CancellationToken cancellationToken)
    {
        if (site is null)
        {
            return;
        }

        try
        {
            await runner.CleanupAsync(site, cancellationToken).ConfigureAwait(false);
        }
        catch (Docker.DockerApiException e)
        {
            // The answer is out and acked; a leftover is removed by start-up cleanup or `tasker cleanup`.
            log.Warning("Could not remove container {Key} after publishing: {Error}", site.Key, e.Message);
        }
    }
}
