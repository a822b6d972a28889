using System.Threading.Channels;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Run;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Takes container removal off the publishing path: <see cref="RemoveAsync"/> queues the task key and returns, one
/// loop removes queued containers one by one through the inner remover, each under <see cref="Deadline"/>, so a hung
/// engine slows removal, never answers. The queue is bounded; a container that does not fit is left to the leftover
/// sweep.
/// </summary>
internal sealed class BackgroundContainerRemover : ITaskContainerRemover
{
    private readonly Channel<(TaskKey Key, TaskClaim? Claim, long QueuedAt)> _queue;
    private readonly ITaskContainerRemover _inner;
    private readonly ILogger _log;

    /// <summary>Creates the remover; nothing is removed before <see cref="RunAsync"/>.</summary>
    public BackgroundContainerRemover(ITaskContainerRemover inner, ILogger log, int capacity = 1024)
    {
        _inner = inner;
        _log = log;
        _queue = Channel.CreateBounded<(TaskKey, TaskClaim?, long)>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Deadline of one removal.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The starts each removal lets go first (none: removals run at once). An answer's container is queued here the
    /// moment its answer is out, which is when the next task's create and start begins; on a small host the two
    /// compete for the engine, and the start is what a task waits for.
    /// </summary>
    public ContainerStarts? YieldTo { get; init; }

    /// <summary>The default of <see cref="Settle"/> (<c>TaskerTimings.RemovalSettle</c>).</summary>
    public static readonly TimeSpan DefaultSettle = TimeSpan.FromMilliseconds(50);

    /// <summary>The default of <see cref="YieldLimit"/> (<c>TaskerTimings.RemovalYieldLimit</c>).</summary>
    public static readonly TimeSpan DefaultYieldLimit = TimeSpan.FromMilliseconds(500);

    /// <summary>How long after its queueing a removal looks at <see cref="YieldTo"/>: the next start has begun by then.</summary>
    public TimeSpan Settle { get; init; } = DefaultSettle;

    /// <summary>
    /// The longest after its queueing a removal waits for a moment without starts (under steady load there may be
    /// none); a removal queued longer ago than this goes at once, so a backlog drains at the engine's pace.
    /// </summary>
    public TimeSpan YieldLimit { get; init; } = DefaultYieldLimit;

    /// <summary>The clock of <see cref="Settle"/> and <see cref="YieldLimit"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public Task RemoveAsync(TaskKey key, TaskClaim? claim, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite((key, claim, Time.GetTimestamp())))
        {
            _log.Warning("Removal queue full (or closed); container {Key:l} is left to the leftover sweep", key.Key);
            claim?.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Removes queued containers until <see cref="Complete"/> was called and the queue is empty, or until
    /// <paramref name="abort"/>; what is left then is released and left to the leftover sweep.
    /// </summary>
    public async Task RunAsync(CancellationToken abort)
    {
        try
        {
            await foreach (var (key, claim, queuedAt) in _queue.Reader.ReadAllAsync(abort).ConfigureAwait(false))
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(abort);
                try
                {
                    if (YieldTo is { } starts)
                    {
                        // Both waits count from the queueing: a backlog of removals is not slowed by them one by one.
                        var settling = Settle - Time.GetElapsedTime(queuedAt);
                        if (settling > TimeSpan.Zero)
                        {
                            await Task.Delay(settling, Time, abort).ConfigureAwait(false);
                        }

                        var yielding = YieldLimit - Time.GetElapsedTime(queuedAt);
                        if (yielding > TimeSpan.Zero)
                        {
                            await starts.WhenNoneAsync(yielding, Time, abort).ConfigureAwait(false);
                        }
                    }

                    deadline.CancelAfter(Deadline);
                    await _inner.RemoveAsync(key, claim, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested)
                {
                    _log.Warning("Removing container {Key:l} took longer than {Deadline}; left to the leftover sweep", key.Key, Deadline);
                }
                finally
                {
                    claim?.Dispose();
                }
            }
        }
        catch (OperationCanceledException)
        {
            while (_queue.Reader.TryRead(out var left))
            {
                left.Claim?.Dispose();
            }
        }
    }

    /// <summary>No more containers will come; <see cref="RunAsync"/> ends once the queue is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
