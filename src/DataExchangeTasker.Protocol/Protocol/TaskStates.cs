namespace DataExchangeTasker.Protocol;

/// <summary>Values of the done message's <c>state</c> field.</summary>
public static class TaskStates
{
    /// <summary>The code ran and exited 0.</summary>
    public const string Success = "success";

    /// <summary>The code ran (or tried to) and failed: non-zero exit, timeout, OOM, signal or engine failure.</summary>
    public const string Error = "error";

    /// <summary>The task was not run: the message or its paths were not acceptable.</summary>
    public const string Rejected = "rejected";
}
