namespace DataExchangeTasker.Messaging;

/// <summary>
/// The waits of one broker connection (<see cref="AmqpConnector"/>): how long an AMQP method (declare, consume, cancel,
/// close) may go unanswered before the client gives up on it, how long between recovery attempts after a lost
/// connection, and the heartbeat that notices a silent peer.
/// </summary>
public sealed record BrokerConnectionTimings(TimeSpan RpcTimeout, TimeSpan RecoveryInterval, TimeSpan Heartbeat)
{
    /// <summary>
    /// What the tasker and the api run with: the client's own 20 s RPC timeout (a broker under load can take that
    /// long to answer a declaration), a recovery attempt every 2 s, a 30 s heartbeat.
    /// </summary>
    public static BrokerConnectionTimings Default { get; } = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
}
