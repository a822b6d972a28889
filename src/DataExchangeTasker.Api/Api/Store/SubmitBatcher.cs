using System.Threading.Channels;

namespace DataExchangeTasker.Api.Store;

/// <summary>
/// Group commit for submits: the submits waiting while one transaction runs go together into the next, so a burst
/// costs one BEGIN/COMMIT (on SQLite one WAL append; on PostgreSQL one commit flush) instead of one each. Each submit's
/// outcome is its own (<see cref="ITaskStore.SubmitAsync"/>); a failing transaction fails every submit in it. Under
/// light load a batch holds one submit and nothing waits for a batch to fill.
/// </summary>
internal sealed class SubmitBatcher : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<Pending>, CancellationToken, Task> _runBatch;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    /// <param name="runBatch">Runs the batch in one transaction and completes each item's <see cref="Pending.Outcome"/>.</param>
    public SubmitBatcher(Func<IReadOnlyList<Pending>, CancellationToken, Task> runBatch)
    {
        _runBatch = runBatch;
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Queues a submit for the next transaction; completes with its outcome.</summary>
    public Task<SubmitOutcome> SubmitAsync(TaskRow task, int? concurrentLimit, RateCheck? rate, CancellationToken cancellationToken)
    {
        var pending = new Pending(task, concurrentLimit, rate, cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);
        return pending.Outcome.Task;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
                {
                    // A request that went away before its turn is not stored.
                    if (pending.CancellationToken.IsCancellationRequested)
                    {
                        pending.Outcome.TrySetCanceled(pending.CancellationToken);
                    }
                    else
                    {
                        batch.Add(pending);
                    }
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                try
                {
                    await _runBatch(batch, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    foreach (var pending in batch)
                    {
                        pending.Outcome.TrySetException(e);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is still queued is cancelled below.
        }

        while (_queue.Reader.TryRead(out var left))
        {
            left.Outcome.TrySetCanceled(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>One queued submit.</summary>
    internal sealed record Pending(TaskRow Task, int? ConcurrentLimit, RateCheck? Rate, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<SubmitOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
