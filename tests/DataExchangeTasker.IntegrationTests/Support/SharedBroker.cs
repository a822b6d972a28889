using System.Diagnostics;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// The one broker the lanes of a test process share (every <see cref="TaskerFixture"/> uses it): started by the first
/// fixture, removed when the test process exits. A broker boot costs 5–10 s of CPU on this 2-core machine; eight
/// lanes booting their own at the same moment made every lane wait for all of them, and the suite is CPU-bound.
/// It outlives the fixtures on purpose: the lanes that run alone after the parallel ones (the api's schedule tests)
/// started a new broker when the last parallel lane had removed the old one, 8.5 s on the suite's critical path.
/// Sharing is safe because every test isolates itself by names (queues, tasker id, exchanges derived from its queue
/// names) and no test stops, pauses or reconfigures a fixture's broker: tests that do (outages, a broker's
/// <c>max_message_size</c>, a broker going away) start a <see cref="RabbitMqBroker"/> of their own. A test process
/// killed before its exit handlers ran leaves the container to the next process's <see cref="BrokerLeftoverSweep"/>.
/// </summary>
public static class SharedBroker
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static RabbitMqBroker? _broker;

    /// <summary>Returns the shared broker, starting it on the first call.</summary>
    public static async Task<RabbitMqBroker> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_broker is null)
            {
                _broker = await RabbitMqBroker.StartAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAtExit(_broker.ContainerId);
            }

            return _broker;
        }
        finally
        {
            Gate.Release();
        }
    }

    // An exit handler cannot await: the docker CLI, waited for with a deadline.
    private static void RemoveAtExit(string containerId)
    {
        try
        {
            using var remove = Process.Start(new ProcessStartInfo("docker", ["rm", "-f", "-v", containerId]) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (remove is not null && !remove.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                remove.Kill();
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // No docker CLI: the next test process's sweep removes the container.
        }
    }
}
