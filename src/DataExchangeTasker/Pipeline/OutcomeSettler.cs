using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Sandbox;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// The last stage, settling each outcome in this order: publish the answer (broker confirm), record that it is out
/// (the claim, then the published marker), acknowledge the start message, and only then remove the task's container
/// (evidence until then). Releases the delivery's claim when done, whatever happened.
/// </summary>
public sealed class OutcomeSettler(IDonePublisher done, IDeadLetterPublisher deadLetters, ITaskSiteRemover sites, TaskMetrics metrics, ILogger log)
{
    /// <summary>Carries out one outcome. Cancellation stops a publish that is waiting for the broker.</summary>
    public async Task SettleAsync(TaskOutcome outcome, CancellationToken cancellationToken)
    {
        using var claim = outcome.Claim;
        var settlement = outcome.Delivery.Settlement;
        switch (outcome)
        {
            case AnswerOutcome answer:
                await done.PublishAsync(answer.Done, answer.Delivery, answer.TraceParent, cancellationToken).ConfigureAwait(false);
                // From here a waiting redelivery never runs the task again, even if the ack or the cleanup fails.
                claim?.MarkAnswered();
                if (answer.Site is { } site)
                {
                    await File.WriteAllTextAsync(site.PublishedMarker, answer.Done.TaskId, cancellationToken).ConfigureAwait(false);
                }

                metrics.Completed(answer.Done);
                LogEnd(answer);
                await settlement.AckAsync(cancellationToken).ConfigureAwait(false);
                await RemoveAsync(answer.Site, cancellationToken).ConfigureAwait(false);
                break;
            case AlreadyAnsweredOutcome already:
                claim?.MarkAnswered();
                await settlement.AckAsync(cancellationToken).ConfigureAwait(false);
                await RemoveAsync(already.Site, cancellationToken).ConfigureAwait(false);
                break;
            case DeadLetterOutcome dead:
                await deadLetters.PublishAsync(dead.Delivery, dead.Reason, cancellationToken).ConfigureAwait(false);
                claim?.MarkAnswered();
                metrics.DeadLettered();
                await settlement.AckAsync(cancellationToken).ConfigureAwait(false);
                break;
            case RequeueOutcome:
                await settlement.RequeueAsync(cancellationToken).ConfigureAwait(false);
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

    private Task RemoveAsync(TaskSite? site, CancellationToken cancellationToken) =>
        site is null ? Task.CompletedTask : sites.RemoveAsync(site, cancellationToken);
}
