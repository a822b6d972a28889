namespace DataExchangeTasker.Messaging;

/// <summary>A queue or exchange exists with other arguments than the tasker would declare.</summary>
public sealed class TopologyMismatchException : Exception
{
    public TopologyMismatchException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public TopologyMismatchException()
    {
    }

    public TopologyMismatchException(string message)
        : base(message)
    {
    }
}
