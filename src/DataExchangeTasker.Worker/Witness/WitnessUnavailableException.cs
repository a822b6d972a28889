namespace DataExchangeTasker.Witness;

/// <summary>This host cannot keep a fanotify witness; the message says why, in words an operator can act on.</summary>
internal sealed class WitnessUnavailableException : Exception
{
    public WitnessUnavailableException()
    {
    }

    public WitnessUnavailableException(string message)
        : base(message)
    {
    }

    public WitnessUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
