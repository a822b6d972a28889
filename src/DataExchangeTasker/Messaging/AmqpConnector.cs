using DataExchangeTasker.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Owns the broker connection. The first connection is retried with backoff (the client only recovers
/// connections that once succeeded); later losses are recovered by the client's automatic recovery.
/// </summary>
public sealed class AmqpConnector(MessagingOptions options, string clientName, ILogger log) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private IConnection? _connection;

    /// <summary>The open connection; throws if <see cref="ConnectAsync"/> has not succeeded.</summary>
    public IConnection Connection => _connection ?? throw new InvalidOperationException("Not connected to the broker yet.");

    /// <summary>True while the connection is open (false during recovery).</summary>
    public bool IsConnected => _connection?.IsOpen == true;

    /// <summary>Connects, retrying until it succeeds or <paramref name="cancellationToken"/> fires (or <paramref name="attempts"/> run out).</summary>
    public async Task<IConnection> ConnectAsync(CancellationToken cancellationToken, int attempts = int.MaxValue)
    {
        var factory = new ConnectionFactory
        {
            Uri = options.AmqpUri,
            ClientProvidedName = clientName,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
        };
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
                _connection.ConnectionShutdownAsync += (_, e) =>
                {
                    if (e.Initiator != ShutdownInitiator.Application)
                    {
                        log.Warning("Lost the broker connection ({ReplyCode} {ReplyText}); recovering", e.ReplyCode, e.ReplyText);
                    }

                    return Task.CompletedTask;
                };
                _connection.RecoverySucceededAsync += (_, _) =>
                {
                    log.Information("Broker connection recovered");
                    return Task.CompletedTask;
                };
                log.Information("Connected to broker {Broker:l}", Redact(options.AmqpUri));
                return _connection;
            }
            catch (BrokerUnreachableException e) when (attempt < attempts)
            {
                log.Warning("Broker {Broker:l} unreachable (attempt {Attempt}): {Error}; retrying in {Delay}", Redact(options.AmqpUri), attempt, e.InnerException?.Message ?? e.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>The URI without its password, for logs.</summary>
    public static string Redact(Uri uri) =>
        string.IsNullOrEmpty(uri.UserInfo) ? uri.ToString() : uri.ToString().Replace(uri.UserInfo + "@", uri.UserInfo.Split(':')[0] + ":***@", StringComparison.Ordinal);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            try
            {
                await connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException)
            {
                log.Debug("Broker connection was already closed: {Error}", e.Message);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
