using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace DataExchangeTasker.Tests.Support;

/// <summary>Moves a <see cref="FakeTimeProvider"/> while the code under test runs on it.</summary>
public static class FakeClock
{
    /// <summary>
    /// Advances <paramref name="time"/> by <paramref name="step"/> until <paramref name="done"/> holds, within a real
    /// deadline of 10 s: a wait the code under test starts after an advance is reached by the next one. Fails when
    /// <paramref name="done"/> never holds (e.g. the code waited on the system clock instead).
    /// </summary>
    public static async Task AdvanceUntilAsync(this FakeTimeProvider time, TimeSpan step, Func<bool> done)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"not done after moving the clock to {time.GetUtcNow():O}");
            time.Advance(step);
            // A deadline poll: the continuation the advance released runs on the thread pool.
            await Task.Delay(10);
        }
    }
}
