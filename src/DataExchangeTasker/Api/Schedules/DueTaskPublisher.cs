using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.Api.Store;
using Serilog;

namespace DataExchangeTasker.Api.Schedules;

/// <summary>
/// Publishes stored tasks that are due and not yet published: delayed tasks, schedule firings, and submits whose
/// process died before the broker confirmed them (their lease ran out). Each is leased in the store to one process
/// first, so several api processes publish it once; a publish that fails keeps it stored for the next round.
/// A crash between the confirm and the store update publishes it again: the start message may be duplicated then,
/// which the worker's taskId handling absorbs, but it is never lost.
/// </summary>
public sealed class DueTaskPublisher(ITaskStore store, StartPublisher starts, ApiMetrics metrics, ApiHealth health, string owner, ILogger log, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private const long LeaseMs = 30_000;
    private const int Batch = 200;
    private readonly System.Threading.Channels.Channel<bool> _wake =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    /// <summary>Asks for a round now (a schedule fired) instead of at the next poll.</summary>
    public void Wake()
    {
        // A full channel means a round is already requested.
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Runs rounds until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await RoundAsync(cancellationToken).ConfigureAwait(false);
                health.StoreError = null;
            }
            catch (StoreUnavailableException e)
            {
                health.StoreError = e.Message;
                log.Warning("Publishing due tasks: {Error}", e.Message);
            }

            if (claimed < Batch)
            {
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                poll.CancelAfter(PollInterval);
                try
                {
                    await _wake.Reader.ReadAsync(poll.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The poll interval passed.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One round: claim, publish, record; returns how many were claimed.</summary>
    public async Task<int> RoundAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var due = await store.ClaimDueTasksAsync(now, now + LeaseMs, owner, Batch, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(due.Select(async task =>
        {
            try
            {
                await starts.PublishAsync(task, cancellationToken).ConfigureAwait(false);
                await store.MarkPublishedAsync(task.TaskId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
                metrics.Published();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                metrics.PublishFailed();
                log.Warning("Task {TaskId:l}: the broker did not confirm its start message in time; retried when its lease ends", task.TaskId);
            }
        })).ConfigureAwait(false);
        return due.Count;
    }
}
