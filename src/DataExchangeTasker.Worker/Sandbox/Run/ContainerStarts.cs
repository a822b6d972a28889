namespace DataExchangeTasker.Sandbox.Run;

/// <summary>
/// How many task containers are between their create and the return of their start. Work that competes with them
/// for the engine and is not urgent (removing the containers of answered tasks) waits for a moment with none: on a
/// 2-core host the removal of the previous container (its supervisor let go, its namespaces torn down, its layer
/// deleted) running beside the next create and start was measured to add 15–40 ms to that task's latency.
/// </summary>
internal sealed class ContainerStarts
{
    private readonly object _gate = new();
    private int _inFlight;
    private TaskCompletionSource _none = Completed();

    /// <summary>Marks one create-and-start as in flight until the returned scope is disposed (once).</summary>
    public Scope Begin()
    {
        lock (_gate)
        {
            if (_inFlight++ == 0)
            {
                _none = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return new Scope(this);
    }

    /// <summary>
    /// Completes when no start is in flight, or after <paramref name="limit"/> (measured on <paramref name="time"/>)
    /// even if one still is: what waits here is delayed, never starved.
    /// </summary>
    public async Task WhenNoneAsync(TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        Task none;
        lock (_gate)
        {
            none = _none.Task;
        }

        if (none.IsCompleted)
        {
            return;
        }

        try
        {
            await none.WaitAsync(limit, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Starts kept coming: go ahead anyway.
        }
    }

    private void End()
    {
        lock (_gate)
        {
            if (--_inFlight == 0)
            {
                _none.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    /// <summary>One create-and-start in flight; disposing it (more than once is harmless) ends it.</summary>
    internal sealed class Scope(ContainerStarts owner) : IDisposable
    {
        private int _ended;

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                owner.End();
            }
        }
    }
}
