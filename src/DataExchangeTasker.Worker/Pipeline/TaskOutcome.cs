using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Claims;

namespace DataExchangeTasker.Pipeline;

/// <summary>What the settling stage must do for one delivery.</summary>
internal abstract record TaskOutcome(InboundDelivery Delivery)
{
    /// <summary>W3C traceparent for the done message (the task's span, or the one the start message carried).</summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// The delivery's hold on its task's key, when it took one; <see cref="OutcomeSettler"/> releases it once the
    /// outcome is carried out (and only there).
    /// </summary>
    public TaskClaim? Claim { get; init; }
}

/// <summary>Publish <see cref="Done"/>, record it, ack, then remove <see cref="TaskKey"/>'s container (null when nothing ran).</summary>
internal sealed record AnswerOutcome(InboundDelivery Delivery, DoneMessage Done, TaskKey? TaskKey) : TaskOutcome(Delivery)
{
    /// <summary>Short id of the container that ran the task, for logs; null when none ran.</summary>
    public string? ContainerId { get; init; }
}

/// <summary>The done message was already confirmed (before a crash, or by a delivery this one waited for): only ack and clean up.</summary>
internal sealed record AlreadyAnsweredOutcome(InboundDelivery Delivery, TaskKey TaskKey) : TaskOutcome(Delivery);

/// <summary>No usable taskId: move the message to the dead-letter queue with <see cref="Reason"/>, then ack.</summary>
internal sealed record DeadLetterOutcome(InboundDelivery Delivery, string Reason) : TaskOutcome(Delivery);

/// <summary>Shutdown came first: put the message back for another tasker (or this one after restart).</summary>
internal sealed record RequeueOutcome(InboundDelivery Delivery) : TaskOutcome(Delivery);

/// <summary>
/// The Docker engine could not be reached while processing: report it down, pause intake, then put the message back;
/// it runs once the engine answers again.
/// </summary>
internal sealed record EngineOutageOutcome(InboundDelivery Delivery, string Error) : TaskOutcome(Delivery);
