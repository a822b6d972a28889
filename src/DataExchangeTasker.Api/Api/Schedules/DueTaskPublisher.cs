using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.Api.Store;
using Serilog;

namespace DataExchangeTasker.Api.Schedules;

/// <summary>
/// The outbox: publishes stored tasks that are due and not yet published (every submit, delayed tasks once due,
/// schedule runs) while the broker is usable. A round leases a batch in the store to this process (so several api
/// processes publish each task once), publishes the batch at once on the confirm channel (the confirms of a batch
/// arrive together instead of one round trip per task) and records the confirmed ones in one statement. A publish
/// that is not confirmed in time keeps its task stored for a later round. A crash between the confirm and the store
/// update publishes it again: the start message may be duplicated then, which the worker's taskId handling absorbs,
/// but it is never lost.
/// </summary>
internal sealed class DueTaskPublisher(ITaskStore store, StartPublisher starts, Func<bool> brokerReady, ApiMetrics metrics, ApiHealth health, string owner, ILogger log, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private const long LeaseMs = 30_000;
    private const int Batch = 500;
    private readonly System.Threading.Channels.Channel<bool> _wake =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    /// <summary>Asks for a round now (a task was stored, a schedule fired, the broker came back) instead of at the next poll.</summary>
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
            if (brokerReady())
            {
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
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
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
        if (due.Count == 0)
        {
            return 0;
        }

        var confirmed = await Task.WhenAll(due.Select(async task =>
        {
            try
            {
                await starts.PublishAsync(task, cancellationToken).ConfigureAwait(false);
                return task.TaskId;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                metrics.PublishFailed();
                log.Warning("Task {TaskId:l}: the broker did not confirm its start message in time; retried when its lease ends", task.TaskId);
                return null;
            }
        })).ConfigureAwait(false);
        var published = confirmed.OfType<string>().ToList();
        if (published.Count > 0)
        {
            await store.MarkPublishedAsync(published, time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None).ConfigureAwait(false);
            metrics.Published(published.Count);
        }

        return due.Count;
    }
}
