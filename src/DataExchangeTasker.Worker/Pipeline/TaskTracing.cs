using System.Diagnostics;
using DataExchangeTasker.Messaging;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// One span per task, continuing the W3C <c>traceparent</c> of the start message (AMQP header) when present.
/// Spans exist only while a listener (the OTLP exporter) is attached.
/// </summary>
internal static class TaskTracing
{
    /// <summary>The activity source name to export.</summary>
    public const string SourceName = "DataExchangeTasker";

    private static readonly ActivitySource Source = new(SourceName, ThisAssembly.Version);

    /// <summary>Starts the task's span, as a child of the start message's trace when it carries one.</summary>
    public static Activity? Start(InboundDelivery delivery)
    {
        var parent = delivery.TraceParent is { } tp && ActivityContext.TryParse(tp, null, out var context) ? context : default;
        return Source.StartActivity("tasker.task", ActivityKind.Consumer, parent);
    }

    /// <summary>The traceparent to write on the done message: this task's span, else the one it came with.</summary>
    public static string? TraceParentOf(Activity? activity, InboundDelivery delivery) =>
        activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : delivery.TraceParent;

    /// <summary>Records the outcome on the span.</summary>
    public static void Complete(Activity? activity, TaskOutcome outcome)
    {
        if (activity is null)
        {
            return;
        }

        switch (outcome)
        {
            case AnswerOutcome answer:
                activity.SetTag("tasker.task_id", answer.Done.TaskId);
                activity.SetTag("tasker.state", answer.Done.State);
                activity.SetTag("tasker.reason", answer.Done.Reason);
                activity.SetStatus(answer.Done.State == Protocol.TaskStates.Success ? ActivityStatusCode.Ok : ActivityStatusCode.Error, answer.Done.Output);
                break;
            case DeadLetterOutcome dead:
                activity.SetTag("tasker.dead_letter_reason", dead.Reason);
                activity.SetStatus(ActivityStatusCode.Error, dead.Reason);
                break;
        }
    }
}
