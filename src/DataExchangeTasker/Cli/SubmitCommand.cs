using System.CommandLine;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Cli;

/// <summary>
/// <c>tasker submit</c>: publishes a start message; with <c>--wait</c>, waits for its done message on a private
/// reply queue (<c>reply_to</c>), so it never takes other results from <c>tasker_done</c>.
/// </summary>
internal static class SubmitCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var source = new SettingsSource();
        var code = new Option<string>("--code") { Description = "codePath: folder with run.py or a .py file, relative to the tasker's code root.", Required = true };
        var data = new Option<string>("--data") { Description = "dataPath: file or folder relative to the tasker's data root.", Required = true };
        var taskId = new Option<string?>("--task-id") { Description = "taskId (default: a new unique id)." };
        var etag = new Option<string?>("--etag") { Description = "codeHash.eTag, as printed by tasker hash." };
        var wait = new Option<bool>("--wait") { Description = "Wait for the done message, print it, exit 0 success / 1 error / 2 rejected." };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds --wait waits before giving up (exit 4); default: no limit." };
        var taskTimeout = new Option<int?>("--task-timeout") { Description = "limits.timeoutSeconds for this task (at most the tasker's TASKER_TASK_TIMEOUT)." };
        var command = new Command("submit", "Publish a start message to the tasker's queue, and optionally wait for its result.")
        {
            code, data, taskId, etag, wait, timeout, taskTimeout,
        };
        source.AddTo(command, [Settings.AmqpUri, Settings.TodoQueue, Settings.DoneQueue, Settings.QueueType, Settings.DeclareTopology, Settings.LegacyTopology]);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var options = TaskerOptionsLoader.LoadMessaging(source.Read(result));
                var message = new StartMessage(
                    result.GetValue(taskId) ?? "submit-" + Guid.NewGuid().ToString("N")[..12],
                    result.GetValue(code)!,
                    result.GetValue(data)!,
                    result.GetValue(etag) is { } e ? new CodeHash(e) : null,
                    result.GetValue(taskTimeout) is { } t ? new TaskLimits(TimeoutSeconds: t) : null);
                var seconds = result.GetValue(timeout);
                return await SubmitAsync(options, message, result.GetValue(wait), seconds is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds.Value), ct).ConfigureAwait(false);
            }
            catch (ConfigurationException e)
            {
                await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or PublishException or TopologyMismatchException)
            {
                await Console.Error.WriteLineAsync($"tasker submit: {e.InnerException?.Message ?? e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }

    private static async Task<int> SubmitAsync(MessagingOptions options, StartMessage message, bool wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = options.AmqpUri, ClientProvidedName = "tasker-submit" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        // The tasker itself warns about what an existing topology loses; submit only needs the queues to exist.
        await new Topology(options, Serilog.Core.Logger.None).DeclareAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);

        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? replyQueue = null;
        if (wait)
        {
            replyQueue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken).ConfigureAwait(false)).QueueName;
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, e) =>
            {
                if (e.BasicProperties.CorrelationId == message.TaskId)
                {
                    reply.TrySetResult(e.Body.ToArray());
                }

                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(replyQueue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
        }

        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            CorrelationId = message.TaskId,
            ReplyTo = replyQueue,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(message, ProtocolJsonContext.Default.StartMessage);
        await channel.BasicPublishAsync("", options.TodoQueue, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"submitted task {message.TaskId} to {options.TodoQueue}").ConfigureAwait(false);
        if (!wait)
        {
            Console.WriteLine(message.TaskId);
            return ExitCodes.Ok;
        }

        byte[] doneBody;
        try
        {
            doneBody = await reply.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync($"tasker submit: no done message for task {message.TaskId} within {timeout.TotalSeconds} s").ConfigureAwait(false);
            return ExitCodes.Timeout;
        }

        var done = JsonSerializer.Deserialize(doneBody, ProtocolJsonContext.Default.DoneMessage)!;
        Console.WriteLine(JsonSerializer.Serialize(done, ProtocolJson.DoneIndented));
        return done.State switch
        {
            TaskStates.Success => ExitCodes.Ok,
            TaskStates.Rejected => ExitCodes.Rejected,
            _ => ExitCodes.Error,
        };
    }
}
