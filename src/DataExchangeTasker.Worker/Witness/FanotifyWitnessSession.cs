using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Witness;

/// <summary>The fanotify witness's watch over one task: its marks, its books, and the lookup of its data mount.</summary>
internal sealed class FanotifyWitnessSession(FanotifyWitness witness, WatchedTask task, TaskMarks marks, FileIdentity? identity) : IWitnessSession
{
    private readonly CancellationTokenSource _stop = new();
    private Task _mountLookup = Task.CompletedTask;
    private int _finished;

    /// <inheritdoc />
    public void ContainerStarted() => _mountLookup = witness.FindMountAsync(task, identity, _stop.Token);

    /// <inheritdoc />
    public async Task<WitnessSummary> FinishAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            throw new InvalidOperationException("The witness session was already finished.");
        }

        try
        {
            // The lookup catches its own failures; it must be done so its mount is booked before the summary.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await _mountLookup.ConfigureAwait(false);
            var lookup = clock.Elapsed.TotalMilliseconds;
            await witness.FenceAsync(cancellationToken).ConfigureAwait(false);
            var fence = clock.Elapsed.TotalMilliseconds - lookup;
            var summary = await witness.UnwatchAsync(task, cancellationToken).ConfigureAwait(false);
            witness.Timed(task, lookup, fence, clock.Elapsed.TotalMilliseconds - lookup - fence);
            return summary;
        }
        catch (OperationCanceledException)
        {
            witness.Forget(task);
            throw;
        }
        finally
        {
            marks.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            witness.Forget(task);
            marks.Release();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _mountLookup.ConfigureAwait(false);
        _stop.Dispose();
    }
}
