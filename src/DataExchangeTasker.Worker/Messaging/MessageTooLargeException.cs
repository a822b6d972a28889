namespace DataExchangeTasker.Messaging;

/// <summary>
/// The broker refused a message for its size (RabbitMQ's <c>max_message_size</c>: 406 PRECONDITION_FAILED) and closed
/// the channel. Retrying the same bytes can never succeed; the caller must send something smaller.
/// </summary>
internal sealed class MessageTooLargeException : Exception
{
    public MessageTooLargeException(long? brokerLimit, string brokerMessage, Exception? inner)
        : base("The broker refused the message for its size: " + brokerMessage, inner)
    {
        BrokerLimit = brokerLimit;
    }

    public MessageTooLargeException()
        : this(null, "unknown", null)
    {
    }

    public MessageTooLargeException(string message)
        : this(null, message, null)
    {
    }

    public MessageTooLargeException(string message, Exception inner)
        : this(null, message, inner)
    {
    }

    /// <summary>The largest body the broker accepts, when its refusal said (bytes).</summary>
    public long? BrokerLimit { get; }
}
