namespace DataExchangeTasker.Sandbox.Run;

/// <summary>A container for this taskId already exists on this host (a concurrent redelivery); the code is not started again.</summary>
internal sealed class TaskAlreadyRunningException : Exception
{
    public TaskAlreadyRunningException(string taskId, Exception? inner)
        : base($"A container for task \"{taskId}\" already exists on this host.", inner)
    {
    }

    public TaskAlreadyRunningException()
        : this("", null)
    {
    }

    public TaskAlreadyRunningException(string message)
        : this(message, null)
    {
    }
}
