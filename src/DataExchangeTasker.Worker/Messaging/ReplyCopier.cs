using System.Threading.Channels;
using DataExchangeTasker.Health;
using RabbitMQ.Client;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Sends the copies of done messages to the start messages' <c>reply_to</c> queues, off the settling path: the answer
/// is already confirmed on <c>tasker_done</c> and its start message acked. Each copy is tried a bounded number of
/// times (<see cref="Resilience.RetryPipelines.ReplyPublish"/>), a few at once on a publisher (channel) of their own,
/// so a queue the broker refuses holds up nothing else; a copy given up is logged and counted
/// (<c>tasker_reply_failures_total</c>). The queue is bounded: a copy that does not fit is given up at once.
/// </summary>
internal sealed class ReplyCopier
{
    private readonly Channel<Copy> _queue;
    private readonly ConfirmedPublisher _publisher;
    private readonly TaskMetrics _metrics;
    private readonly ILogger _log;
    private readonly int _parallel;

    /// <summary>Creates the copier; nothing is sent before <see cref="RunAsync"/>.</summary>
    public ReplyCopier(ConfirmedPublisher publisher, TaskMetrics metrics, ILogger log, int capacity = 1024, int parallel = 4)
    {
        _publisher = publisher;
        _metrics = metrics;
        _log = log;
        _parallel = parallel;
        _queue = Channel.CreateBounded<Copy>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Queues one copy and returns at once.</summary>
    public void Enqueue(string taskId, string replyTo, BasicProperties properties, ReadOnlyMemory<byte> body)
    {
        if (!_queue.Writer.TryWrite(new Copy(taskId, replyTo, properties, body)))
        {
            GiveUp(taskId, replyTo, "too many copies waiting");
        }
    }

    /// <summary>Sends queued copies until <see cref="Complete"/> was called and all are sent or given up, or until <paramref name="abort"/>.</summary>
    public async Task RunAsync(CancellationToken abort)
    {
        using var slots = new SemaphoreSlim(_parallel, _parallel);
        var running = new List<Task>();
        try
        {
            await foreach (var copy in _queue.Reader.ReadAllAsync(abort).ConfigureAwait(false))
            {
                await slots.WaitAsync(abort).ConfigureAwait(false);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(SendAsync(copy, slots, abort));
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Aborted: copies not sent are lost; their answers are on the done queue.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>No more copies will come.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task SendAsync(Copy copy, SemaphoreSlim slots, CancellationToken abort)
    {
        try
        {
            if (!await _publisher.TryPublishAsync("", copy.ReplyTo, mandatory: false, copy.Properties, copy.Body, abort).ConfigureAwait(false))
            {
                GiveUp(copy.TaskId, copy.ReplyTo, "the broker did not confirm it");
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Aborted at shutdown.
        }
        catch (MessageTooLargeException e)
        {
            GiveUp(copy.TaskId, copy.ReplyTo, e.Message);
        }
        finally
        {
            slots.Release();
        }
    }

    private void GiveUp(string taskId, string replyTo, string why)
    {
        _metrics.ReplyFailed();
        _log.ForContext("TaskId", taskId).Warning(
            "Task {TaskId:l}: gave up sending its done message to reply_to {ReplyTo:l} ({Why}); it is on the done queue", taskId, replyTo, why);
    }

    private sealed record Copy(string TaskId, string ReplyTo, BasicProperties Properties, ReadOnlyMemory<byte> Body);
}
