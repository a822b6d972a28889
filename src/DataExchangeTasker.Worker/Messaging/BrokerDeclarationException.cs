namespace DataExchangeTasker.Messaging;

/// <summary>The broker did not answer a start-up declaration within its bounded retries: the tasker cannot start.</summary>
public sealed class BrokerDeclarationException : Exception
{
    public BrokerDeclarationException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public BrokerDeclarationException()
        : this("The broker did not answer a start-up declaration.", null)
    {
    }

    public BrokerDeclarationException(string message)
        : this(message, null)
    {
    }
}
