using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A copy of a delivered message that stays valid after the delivery handler returns (the
/// client's body memory is pooled and reused once the handler completes).
/// </summary>
/// <remarks>Record equality compares <see cref="Body"/> and <see cref="Headers"/> by reference.</remarks>
/// <param name="Body">The message body, copied.</param>
/// <param name="CorrelationId">The <c>correlation-id</c> property.</param>
/// <param name="ContentType">The <c>content-type</c> property.</param>
/// <param name="Persistent">True when the delivery mode was 2 (persistent).</param>
/// <param name="Headers">
/// A copy of the headers table; AMQP string values arrive as <c>byte[]</c>, see <see cref="HeaderString"/>.
/// </param>
/// <param name="ReplyTo">The <c>reply-to</c> property.</param>
public sealed record ReceivedMessage(
    byte[] Body,
    string? CorrelationId,
    string? ContentType,
    bool Persistent,
    IDictionary<string, object?>? Headers,
    string? ReplyTo)
{
    /// <summary>The <c>message-id</c> property.</summary>
    public string? MessageId { get; init; }

    /// <summary>The <c>type</c> property.</summary>
    public string? Type { get; init; }

    /// <summary>The routing key the message was published with.</summary>
    public string RoutingKey { get; init; } = string.Empty;

    /// <summary>True when the broker had delivered this message before (it was requeued).</summary>
    public bool Redelivered { get; init; }

    /// <summary>The body decoded as UTF-8.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>
    /// Returns a header as a string: AMQP long strings arrive as UTF-8 <c>byte[]</c>, other
    /// values are formatted with <see cref="object.ToString"/>.
    /// </summary>
    /// <param name="key">The header name.</param>
    /// <returns>The value, or null when the header is absent or null.</returns>
    public string? HeaderString(string key) =>
        Headers is not null && Headers.TryGetValue(key, out var value)
            ? value switch
            {
                null => null,
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            }
            : null;

    /// <summary>Copies a consumer delivery; call it inside the delivery handler.</summary>
    /// <param name="delivery">The delivery being handled.</param>
    /// <returns>A copy that outlives the handler.</returns>
    public static ReceivedMessage From(BasicDeliverEventArgs delivery) =>
        Create(delivery.Body, delivery.BasicProperties, delivery.RoutingKey, delivery.Redelivered);

    /// <summary>Copies a <c>basic.get</c> result.</summary>
    /// <param name="result">The result of <see cref="IChannel.BasicGetAsync"/>.</param>
    /// <returns>A copy of the message.</returns>
    public static ReceivedMessage From(BasicGetResult result) =>
        Create(result.Body, result.BasicProperties, result.RoutingKey, result.Redelivered);

    private static ReceivedMessage Create(
        ReadOnlyMemory<byte> body, IReadOnlyBasicProperties properties, string routingKey, bool redelivered) =>
        new(
            body.ToArray(),
            properties.CorrelationId,
            properties.ContentType,
            properties.Persistent,
            properties.Headers is null ? null : new Dictionary<string, object?>(properties.Headers),
            properties.ReplyTo)
        {
            MessageId = properties.MessageId,
            Type = properties.Type,
            RoutingKey = routingKey,
            Redelivered = redelivered,
        };
}
