using DataExchangeTasker.Configuration;
using DataExchangeTasker.Resilience;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Owns the broker connection. The first connection is retried (<see cref="RetryPipelines.FirstBrokerConnect"/>;
/// the client only recovers connections that once succeeded); later losses are recovered by the client's
/// automatic recovery, which also reopens channels and re-registers their consumers. Its waits are
/// <paramref name="timings"/> (default <see cref="BrokerConnectionTimings.Default"/>).
/// </summary>
public sealed class AmqpConnector(MessagingOptions options, string clientName, ILogger log, TimeProvider? time = null, BrokerConnectionTimings? timings = null) : IAsyncDisposable
{
    private readonly BrokerConnectionTimings _timings = timings ?? BrokerConnectionTimings.Default;
    private IConnection? _connection;
    private volatile bool _recovering;

    /// <summary>The open connection; throws if <see cref="ConnectAsync"/> has not succeeded.</summary>
    public IConnection Connection => _connection ?? throw new InvalidOperationException("Not connected to the broker yet.");

    /// <summary>True while the connection is open and not in the middle of recovery.</summary>
    public bool IsConnected => _connection?.IsOpen == true && !_recovering;

    /// <summary>
    /// True from a lost connection until the client's recovery finished (channels and consumers included); while
    /// it is, nobody else may reopen channels or consumers the recovery is about to bring back.
    /// </summary>
    public bool IsRecovering => _recovering;

    /// <summary>Raised after the client recovered the connection with its channels and consumers.</summary>
    public event Action? Recovered;

    /// <summary>Connects, retrying until it succeeds or <paramref name="cancellationToken"/> fires (or <paramref name="attempts"/> run out).</summary>
    public async Task<IConnection> ConnectAsync(CancellationToken cancellationToken, int attempts = int.MaxValue)
    {
        var factory = new ConnectionFactory
        {
            Uri = options.AmqpUri,
            ClientProvidedName = clientName,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = _timings.RecoveryInterval,
            RequestedHeartbeat = _timings.Heartbeat,
            ContinuationTimeout = _timings.RpcTimeout,
        };
        var shape = RetryPipelines.FirstBrokerConnect;
        if (attempts != int.MaxValue)
        {
            shape = shape with { MaxRetries = attempts - 1 };
        }

        var retry = RetryPipelines.Build(shape, e => e is BrokerUnreachableException, args =>
        {
            var e = args.Outcome.Exception!;
            log.Warning("Broker {Broker:l} unreachable (attempt {Attempt}): {Error}; retrying in {Delay}",
                Describe(options), args.AttemptNumber + 1, e.InnerException?.Message ?? e.Message, args.RetryDelay);
            return ValueTask.CompletedTask;
        }, time);
        // Several nodes: the client tries them in turn, on the first connection and on every recovery, so losing
        // one node of a cluster moves the tasker to another.
        var endpoints = options.AmqpUris.Count > 1 ? options.AmqpUris.Select(u => new AmqpTcpEndpoint(u)).ToList() : null;
        var connection = await retry.ExecuteAsync(async ct => endpoints is null
            ? await factory.CreateConnectionAsync(ct).ConfigureAwait(false)
            : await factory.CreateConnectionAsync(endpoints, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        connection.ConnectionShutdownAsync += (_, e) =>
        {
            if (e.Initiator != ShutdownInitiator.Application)
            {
                _recovering = true;
                log.Warning("Lost the broker connection ({ReplyCode} {ReplyText}); recovering", e.ReplyCode, e.ReplyText);
            }

            return Task.CompletedTask;
        };
        connection.RecoverySucceededAsync += (_, _) =>
        {
            _recovering = false;
            log.Information("Broker connection recovered");
            Recovered?.Invoke();
            return Task.CompletedTask;
        };
        _connection = connection;
        log.Information("Connected to broker {Broker:l}", Describe(options));
        return connection;
    }

    /// <summary>
    /// Runs a start-up declaration (<paramref name="what"/>: for logs) on the open connection, retrying what a slow
    /// or briefly unavailable broker throws (<see cref="RetryPipelines.StartupDeclarations"/>: bounded, each retry
    /// logged). Declarations are idempotent, so a retry after an answer that came too late does no harm.
    /// </summary>
    /// <exception cref="BrokerDeclarationException">The broker did not answer within the retries.</exception>
    public async Task DeclareAsync(string what, Func<IConnection, CancellationToken, Task> declare, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(declare);
        var shape = RetryPipelines.StartupDeclarations;
        var retry = RetryPipelines.Build(shape, e => IsTransient(e, cancellationToken), args =>
        {
            log.Warning("Declaring {What:l} failed (attempt {Attempt} of {Max}): {Error}; retrying in {Delay}",
                what, args.AttemptNumber + 1, shape.MaxRetries + 1, Describe(args.Outcome.Exception!), args.RetryDelay);
            return ValueTask.CompletedTask;
        }, time);
        try
        {
            await retry.ExecuteAsync(async ct => await declare(Connection, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            throw new BrokerDeclarationException($"The broker did not answer declaring {what} after {shape.MaxRetries + 1} attempts: {Describe(e)}", e);
        }
    }

    /// <summary>
    /// What a slow or restarting broker throws: an RPC that ran past the client's timeout (a cancellation nobody here
    /// asked for), a connection lost or closed by the broker, a socket error.
    /// </summary>
    private static bool IsTransient(Exception error, CancellationToken stopping) => error switch
    {
        OperationCanceledException => !stopping.IsCancellationRequested,
        OperationInterruptedException interrupted => interrupted.ShutdownReason?.ReplyCode is not (403 or 404 or 406),
        AlreadyClosedException or BrokerUnreachableException or TimeoutException or IOException => true,
        _ => false,
    };

    private static string Describe(Exception error) => error is OperationCanceledException
        ? "no answer within the client's RPC timeout"
        : error.InnerException?.Message ?? error.Message;

    /// <summary>Every configured node's URI without its password, for logs.</summary>
    public static string Describe(MessagingOptions options) =>
        options.AmqpUris.Count > 1 ? string.Join(",", options.AmqpUris.Select(Redact)) : Redact(options.AmqpUri);

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
