using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Control;

/// <summary>The done message of a cancelled task: <c>error</c>, reason <c>cancelled</c>, with whatever output it had.</summary>
internal static class CancelledAnswer
{
    /// <summary>For a task cancelled before its container was created: no container output.</summary>
    public static DoneMessage NotStarted(string taskId) =>
        new(taskId, TaskStates.Error, "The task was cancelled before it started; no container ran.", null, null, Reasons.Cancelled, 0);

    /// <summary>For a task whose code was stopped by a cancel: the run's answer, with the output so far, marked cancelled.</summary>
    public static DoneMessage Stopped(DoneMessage run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run with
        {
            State = TaskStates.Error,
            Reason = Reasons.Cancelled,
            Output = "The task was cancelled while it ran; the code was stopped and its output so far is kept.",
        };
    }
}
