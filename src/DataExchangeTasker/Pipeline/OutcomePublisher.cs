using System.Runtime.CompilerServices;
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
        // Set as soon as the answer is confirmed, so a redelivery waiting on this task never runs it again,
        // even if the ack or the cleanup after it fails.
        var answered = new StrongBox<bool>();
        try
        {
            await CarryOutAsync(outcome, answered, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (outcome.ClaimedKey is { } key)
            {
                active.Release(key, answered.Value);
            }
        }
    }

    private async Task CarryOutAsync(TaskOutcome outcome, StrongBox<bool> answered, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case AnswerOutcome answer:
                await done.PublishAsync(answer.Done, answer.Delivery, answer.TraceParent, cancellationToken).ConfigureAwait(false);
                answered.Value = true;
                if (answer.Site is { } site)
                {
                    await File.WriteAllTextAsync(site.PublishedMarker, answer.Done.TaskId, cancellationToken).ConfigureAwait(false);
                }

                metrics.Completed(answer.Done);
                LogEnd(answer);
                await acks.AckAsync(answer.Delivery, cancellationToken).ConfigureAwait(false);
                await CleanupAsync(answer.Site, cancellationToken).ConfigureAwait(false);
                break;
            case AlreadyAnsweredOutcome already:
                answered.Value = true;
                await acks.AckAsync(already.Delivery, cancellationToken).ConfigureAwait(false);
                await CleanupAsync(already.Site, cancellationToken).ConfigureAwait(false);
                break;
            case DeadLetterOutcome dead:
                await deadLetters.PublishAsync(dead.Delivery, dead.Reason, cancellationToken).ConfigureAwait(false);
                answered.Value = true;
                metrics.DeadLettered();
                await acks.AckAsync(dead.Delivery, cancellationToken).ConfigureAwait(false);
                break;
            case RequeueOutcome requeue:
                await acks.RequeueAsync(requeue.Delivery, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private void LogEnd(AnswerOutcome answer)
    {
        var done = answer.Done;
        var taskLog = log.ForContext("TaskId", done.TaskId).ForContext("ContainerId", answer.ContainerId);
        if (done.Reason is null)
        {
            taskLog.Information("Task {TaskId:l} ended {State:l} in {DurationMs} ms", done.TaskId, done.State, done.DurationMs);
        }
        else
        {
            taskLog.Information("Task {TaskId:l} ended {State:l} ({Reason:l}) in {DurationMs} ms: {Output:l}", done.TaskId, done.State, done.Reason, done.DurationMs, done.Output);
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
        catch (Exception e) when (e is Docker.DockerApiException or IOException or UnauthorizedAccessException)
        {
            // The answer is out and acked; a leftover is removed by start-up cleanup or `tasker cleanup`.
            log.Warning("Could not remove container or work folder {Key:l} after publishing: {Error}", site.Key, e.Message);
        }
    }
}
