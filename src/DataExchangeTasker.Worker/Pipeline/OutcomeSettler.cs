using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Governance.Audit;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Sandbox.Claims;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// The last stage, settling each outcome in this order: publish the answer (broker confirm), record that it is out
/// (the claim, then the <see cref="AnswerLedger"/>), acknowledge the start message, and only then hand the task's
/// container to removal (which releases the claim when done). Nothing after the confirm can keep
/// the delivery from being acknowledged. An engine outage pauses intake before the message goes back.
/// With an <see cref="AuditLog"/>, each answer's line is written and fsynced before it is published; when that write
/// fails the answer is not published and the delivery goes back to the queue (a done message never exists without
/// its line; the redelivery adopts the task's container or runs afresh).
/// </summary>
internal sealed class OutcomeSettler(
    IDonePublisher done, IDeadLetterPublisher deadLetters, ITaskContainerRemover containers, AnswerLedger ledger, IIntakeHold intakeHold, TaskMetrics metrics, ILogger log, AuditLog? audit = null)
{
    /// <summary>Carries out one outcome. Cancellation stops a publish that is waiting for the broker.</summary>
    public async Task SettleAsync(TaskOutcome outcome, CancellationToken cancellationToken)
    {
        var claim = outcome.Claim;
        var claimHandedOver = false;
        var settlement = outcome.Delivery.Settlement;
        try
        {
            switch (outcome)
            {
                case AnswerOutcome answer:
                    if (!await TryAuditAsync(answer.Done, cancellationToken).ConfigureAwait(false))
                    {
                        await settlement.RequeueAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    }

                    await done.PublishAsync(answer.Done, answer.Delivery, answer.TraceParent, cancellationToken).ConfigureAwait(false);
                    // From here a waiting redelivery never runs the task again, even if the ack or the cleanup fails.
                    claim?.MarkAnswered();
                    if (answer.TaskKey is { } key)
                    {
                        Record(key, answer);
                    }

                    metrics.Completed(answer.Done);
                    LogEnd(answer);
                    await settlement.AckAsync(cancellationToken).ConfigureAwait(false);
                    if (answer.TaskKey is { } ran)
                    {
                        claimHandedOver = true;
                        await containers.RemoveAsync(ran, claim, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case AlreadyAnsweredOutcome already:
                    claim?.MarkAnswered();
                    await settlement.AckAsync(cancellationToken).ConfigureAwait(false);
                    if (claim is not null)
                    {
                        // Only under the claim: without it another start message reusing the taskId may be using the container.
                        claimHandedOver = true;
                        await containers.RemoveAsync(already.TaskKey, claim, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case DeadLetterOutcome dead:
                    await deadLetters.PublishAsync(dead.Delivery, dead.Reason, cancellationToken).ConfigureAwait(false);
                    claim?.MarkAnswered();
                    metrics.DeadLettered();
                    await settlement.AckAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case EngineOutageOutcome outage:
                    // Paused first, or the broker would hand the message straight back to this tasker.
                    await intakeHold.HoldForEngineAsync(outage.Error, cancellationToken).ConfigureAwait(false);
                    await settlement.RequeueAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case RequeueOutcome:
                    await settlement.RequeueAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        finally
        {
            if (!claimHandedOver)
            {
                claim?.Dispose();
            }
        }
    }

    /// <summary>Writes the answer's audit line; false (logged) when the log could not be written.</summary>
    private async Task<bool> TryAuditAsync(Protocol.DoneMessage answer, CancellationToken cancellationToken)
    {
        if (audit is null)
        {
            return true;
        }

        var notRun = answer.Receipt is null
            ? new AuditNotRun(answer.State, answer.Reason, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(answer.Output))))
            : null;
        try
        {
            await audit.AppendAsync(answer.TaskId, answer.Receipt, answer.ReceiptSignature, notRun, answer.TraceSummary?.Witness?.Method, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.ForContext("TaskId", answer.TaskId).Error(
                "Task {TaskId:l}: could not write the audit log {AuditLog:l} ({Error}); not publishing the answer, requeueing the start message", answer.TaskId, audit.Path, e.Message);
            return false;
        }
    }

    private void Record(TaskKey key, AnswerOutcome answer)
    {
        try
        {
            ledger.Record(key.Key, answer.Delivery.BodySha256);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The answer is confirmed: the delivery is acked all the same. Only a redelivery after a restart of this
            // tasker (the ack lost too) would run the task again.
            log.ForContext("TaskId", answer.Done.TaskId).Error(
                "Task {TaskId:l}: could not record the answer in {Folder:l} ({Error}); acknowledging anyway", answer.Done.TaskId, ledger.Folder, e.Message);
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
}
