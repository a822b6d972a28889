namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// The one broker the lanes of a test run share (each <see cref="TaskerFixture"/> leases it): started by the first
/// lease, removed when the last lease is returned. A broker boot costs 5–10 s of CPU on this 2-core machine; eight
/// lanes booting their own at the same moment made every lane wait for all of them, and the suite is CPU-bound.
/// Sharing is safe because every test isolates itself by names (queues, tasker id, exchanges derived from its queue
/// names) and no test stops, pauses or reconfigures a fixture's broker: tests that do (outages, a broker's
/// <c>max_message_size</c>, a broker going away) start a <see cref="RabbitMqBroker"/> of their own.
/// </summary>
public static class SharedBroker
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static RabbitMqBroker? _broker;
    private static int _leases;

    /// <summary>Returns the shared broker, starting it when no lease is held; pair with <see cref="ReturnAsync"/>.</summary>
    public static async Task<RabbitMqBroker> LeaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _broker ??= await RabbitMqBroker.StartAsync();
            _leases++;
            return _broker;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Returns a lease; the last one removes the broker.</summary>
    public static async Task ReturnAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (--_leases == 0 && _broker is { } broker)
            {
                _broker = null;
                await broker.DisposeAsync();
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}
