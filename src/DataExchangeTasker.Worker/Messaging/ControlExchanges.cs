using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// The two exchanges beside the todo/done pair that workers and the api share: the cancel fanout exchange
/// <c>tasker_control</c> and the progress exchange <c>tasker_progress</c>. Exchanges that exist are used as they are,
/// whatever their type.
/// </summary>
public static class ControlExchanges
{
    /// <summary>Fanout exchange workers take cancel messages from (<c>{"cancel": "&lt;taskId&gt;"}</c>).</summary>
    public const string ControlExchange = "tasker_control";

    /// <summary>Where workers publish progress (<c>{taskId, step, stepIndex, at}</c>) with <c>TASKER_PROGRESS=true</c>.</summary>
    public const string ProgressExchange = "tasker_progress";

    /// <summary>Declares <paramref name="exchange"/> durable unless it exists (then it is used as it is).</summary>
    public static async Task EnsureExchangeAsync(IConnection connection, string exchange, string type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);

        // A failed passive declare closes its channel, so the probe gets one of its own.
        await using (var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await probe.ExchangeDeclarePassiveAsync(exchange, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                // Absent: declared below.
            }
        }

        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(exchange, type, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
