using DataExchangeTasker.Hosting;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Resilience;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Shorter fixed waits for in-process taskers (<see cref="InProcessTasker.StartAsync"/>), one record per wait a test
/// would otherwise sit out. Each changes only what its test waits for; the behaviour under test is the production one.
/// </summary>
public static class TestTimings
{
    /// <summary>Leftovers and kept-alive containers swept every second instead of every 30 s.</summary>
    public static TaskerTimings FastSweep { get; } = TaskerTimings.Production with { SweepInterval = TimeSpan.FromSeconds(1) };

    /// <summary>
    /// Intake decided every 250 ms instead of every second, and the engine checked every 500 ms instead of every 2 s: a
    /// test proving that nothing happens "across several decisions" waits a quarter as long.
    /// </summary>
    public static TaskerTimings FastDecisions { get; } = TaskerTimings.Production with
    {
        IntakeInterval = TimeSpan.FromMilliseconds(250),
        EngineWatchInterval = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>
    /// A hung engine call given up after 5 s instead of 30 s (the ping deadline stays 5 s, so the health watch still
    /// notices a hang first), with <see cref="FastDecisions"/>.
    /// </summary>
    public static TaskerTimings ShortEngineDeadline { get; } = FastDecisions with
    {
        EngineCallDeadline = TimeSpan.FromSeconds(5),
        EngineOutagePauseDeadline = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// The copy to a <c>reply_to</c> given up after about 13 s (10 retries, 100 ms doubling to 2 s) instead of about
    /// 25 s: still far longer than running a few tasks, so answers settled meanwhile show the copy held nothing up.
    /// </summary>
    public static TaskerTimings ShortReplyRetry { get; } = TaskerTimings.Production with
    {
        ReplyRetry = new RetryShape(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), 10),
    };

    /// <summary>An unanswered AMQP method given up after 4 s instead of 20 s, with <see cref="FastDecisions"/>.</summary>
    public static TaskerTimings ShortBrokerRpc { get; } = FastDecisions with
    {
        Broker = BrokerConnectionTimings.Default with { RpcTimeout = TimeSpan.FromSeconds(4) },
    };
}
