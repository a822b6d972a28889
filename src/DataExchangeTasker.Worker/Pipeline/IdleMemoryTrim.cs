using System.Runtime.InteropServices;
using System.Threading.Channels;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Gives memory back to the operating system once no task has run for a moment. A task's run leaves the GC heap's
/// free regions and glibc's malloc arenas holding memory an idle tasker does not need (bench/README.md: resident
/// memory 61 MB fresh, 92 MB after 4 trivial tasks); on a host that also runs the containers, that memory is theirs.
/// One full, compacting, aggressive collection and a <c>malloc_trim</c> after <see cref="Quiet"/> with nothing
/// running: a busy tasker (a task starts within the quiet time) never pays for it.
/// </summary>
internal sealed partial class IdleMemoryTrim(ILogger log)
{
    // One pending wake-up at most: tasks that end during a quiet time share it.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private int _running;
    private long _entries;
    private bool _mallocTrim = OperatingSystem.IsLinux();
    private int _trims;

    /// <summary>How long nothing must run before memory is given back.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The clock the quiet time is measured on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How many times memory was given back (tests).</summary>
    public int Trims => Volatile.Read(ref _trims);

    /// <summary>A task started.</summary>
    public void Entered()
    {
        Interlocked.Increment(ref _running);
        Interlocked.Increment(ref _entries);
    }

    /// <summary>A task ended; the last one to end starts the quiet time.</summary>
    public void Left()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>The worker is ready and waits for tasks: what starting up left behind is given back too.</summary>
    public void Ready()
    {
        if (Volatile.Read(ref _running) == 0)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>Waits for idle moments until <paramref name="stopping"/>; the only place memory is given back.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await _wake.Reader.ReadAsync(stopping).ConfigureAwait(false);
                var entries = Interlocked.Read(ref _entries);
                await Task.Delay(Quiet, Time, stopping).ConfigureAwait(false);
                if (Volatile.Read(ref _running) == 0 && Interlocked.Read(ref _entries) == entries)
                {
                    Trim();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the process gives everything back.
        }
    }

    private void Trim()
    {
        var before = Environment.WorkingSet;
        // Aggressive: decommits the free regions too, not only collects (a gen-2 compacting collection of a few MB).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (_mallocTrim)
        {
            try
            {
                _ = MallocTrim(0);
            }
            catch (EntryPointNotFoundException)
            {
                // Not glibc (e.g. musl): the GC's part still counts.
                _mallocTrim = false;
            }
        }

        Interlocked.Increment(ref _trims);
        log.Debug("Idle: memory given back, resident {BeforeMb:0.0} -> {AfterMb:0.0} MB", before / 1048576.0, Environment.WorkingSet / 1048576.0);
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
