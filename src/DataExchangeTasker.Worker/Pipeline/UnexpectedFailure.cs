using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Pipeline;

/// <summary>The answer for a delivery whose processing hit a bug: an error done if it has a taskId, else dead-lettering.</summary>
internal static class UnexpectedFailure
{
    /// <summary>The answer for a delivery read no further than its body: its taskId is read again, if it has one.</summary>
    public static TaskOutcome Outcome(InboundDelivery delivery, Exception error)
    {
        try
        {
            return StartMessageParser.Parse(delivery.Body) switch
            {
                ParsedStart p => Answer(delivery, p.Message.TaskId, error),
                InvalidStart i => Answer(delivery, i.TaskId, error),
                UnusableStart u => new DeadLetterOutcome(delivery, u.Reason),
                _ => new DeadLetterOutcome(delivery, error.Message),
            };
        }
        catch (Exception second)
        {
            // Never let the runner loop die: a message nobody can read is dead-lettered with both reasons.
            return new DeadLetterOutcome(delivery, $"processing failed ({error.Message}) and the message could not be read ({second.Message})");
        }
    }

    /// <summary>The error answer for a delivery whose taskId is known.</summary>
    public static AnswerOutcome Answer(InboundDelivery delivery, string taskId, Exception error) =>
        new(delivery, new DoneMessage(taskId, TaskStates.Error, "The tasker failed unexpectedly: " + error.Message, null, null, Reasons.Infrastructure, 0), null);
}
