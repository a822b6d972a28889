using System.Text.Json;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// The Scala tasker's real clients, reproduced with pika as they talk to the broker (see
/// /work/shared/facts/original-clients.md): the Django listener on the done queue and the per-message publisher.
/// </summary>
public static class OriginalV01Clients
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts the listener: <c>queue_declare(done)</c> with defaults, then <c>basic_consume(auto_ack=True)</c>
    /// until <paramref name="count"/> messages or <paramref name="deadline"/>. Wait for its <c>DECLARED</c> line.
    /// </summary>
    public static PythonScript StartListener(Uri amqpUri, string doneQueue, int count, TimeSpan deadline) =>
        PythonScript.Start("original_listener.py", amqpUri.ToString(), doneQueue, count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            deadline.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Publishes one start message as the original did: new connection, exchange = routing key = todo, transient.</summary>
    public static Task PublishAsync(Uri amqpUri, string todo, string json) =>
        PythonScript.RunAsync("original_publisher.py", PublishTimeout, amqpUri.ToString(), todo, json);

    /// <summary>The done messages among a listener's output lines.</summary>
    public static IReadOnlyList<DoneMessage> Received(PythonScript listener) =>
        listener.Lines.Where(l => l.StartsWith("MESSAGE ", StringComparison.Ordinal))
            .Select(l => JsonSerializer.Deserialize(l["MESSAGE ".Length..], ProtocolJsonContext.Default.DoneMessage)!)
            .ToList();
}
