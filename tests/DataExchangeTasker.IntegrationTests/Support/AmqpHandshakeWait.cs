using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Readiness of a broker container: an AMQP handshake as <c>guest</c> through the published port succeeds. Unlike the
/// "Server startup complete" log line, it cannot be satisfied by the log of an earlier start of the same container,
/// and it proves what tests need: a client on this host can reach the broker and log in.
/// </summary>
internal sealed class AmqpHandshakeWait(Uri amqpUri) : IWaitUntil
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<bool> UntilAsync(IContainer container)
    {
        var factory = new ConnectionFactory
        {
            Uri = amqpUri,
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = AttemptTimeout,
            ClientProvidedName = "integration-test-readiness",
        };
        using var deadline = new CancellationTokenSource(AttemptTimeout);
        try
        {
            await using var connection = await factory.CreateConnectionAsync(deadline.Token);
            await connection.CloseAsync(deadline.Token);
            return true;
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or OperationCanceledException
                                      or RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException)
        {
            return false;
        }
    }
}
