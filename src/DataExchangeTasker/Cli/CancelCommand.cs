using System.CommandLine;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Cli;

/// <summary>
/// <c>tasker cancel TASKID</c>: publishes <c>{"cancel": "TASKID"}</c> to the fanout exchange <c>tasker_control</c>
/// with publisher confirms; every tasker stops the task if it runs it, or answers it cancelled when it takes it.
/// </summary>
internal static class CancelCommand
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>The command.</summary>
    public static Command Create()
    {
        var source = new SettingsSource();
        var taskId = new Argument<string>("TASKID") { Description = "The taskId to cancel." };
        var command = new Command("cancel", "Cancel a task by taskId: a running task is stopped (output so far kept), a queued one answered without running; both end error/cancelled.")
        {
            taskId,
        };
        source.AddTo(command, [Settings.AmqpUri]);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var options = TaskerOptionsLoader.LoadMessaging(source.Read(result));
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(Deadline);
                await PublishAsync(options.AmqpUri, result.GetValue(taskId)!, deadline.Token).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"cancel of task {result.GetValue(taskId)} published to {ControlExchanges.ControlExchange}").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (ConfigurationException e)
            {
                await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or PublishException or OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"tasker cancel: {e.InnerException?.Message ?? e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }

    /// <summary>Publishes the cancel of <paramref name="taskId"/> and returns once the broker confirmed it.</summary>
    public static async Task PublishAsync(Uri amqpUri, string taskId, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = amqpUri, ClientProvidedName = "tasker-cancel" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ControlExchanges.EnsureExchangeAsync(connection, ControlExchanges.ControlExchange, ExchangeType.Fanout, cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["cancel"] = taskId }, CancelJsonContext.Default.DictionaryStringString);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json", Type = "tasker.cancel" };
        await channel.BasicPublishAsync(ControlExchanges.ControlExchange, "", mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
    }
}
