using System.Text;
using System.Threading.Channels;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Tests.Support;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

public sealed class SettlementLanesTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _temp = new();
    private readonly TaskMetrics _metrics = new();
    private readonly EventLog _log = new();
    private readonly GatedDonePublisher _done;
    private readonly Channel<TaskOutcome> _outcomes = Channel.CreateUnbounded<TaskOutcome>();

    public SettlementLanesTests() => _done = new GatedDonePublisher(_log);

    public void Dispose()
    {
        _metrics.Dispose();
        _temp.Dispose();
    }

    private SettlementLanes Lanes(int count) => new(
        [.. Enumerable.Range(0, count).Select(_ => new OutcomeSettler(_done, new RecordingDeadLetterPublisher(_log), new RecordingContainerRemover(_log),
            new AnswerLedger(_temp.Combine("work")), new RecordingIntakeHold(_log), _metrics, Logger.None))],
        Logger.None);

    /// <summary>A rejected answer (no container) for <paramref name="taskId"/>, whose ack is logged as "ack taskId".</summary>
    private AnswerOutcome Rejected(string taskId, Action? onAck = null)
    {
        var settlement = new NamedSettlement(taskId, _log, onAck);
        var delivery = new InboundDelivery(Encoding.UTF8.GetBytes(taskId), false, null, null, null, "application/json", settlement);
        return new AnswerOutcome(delivery, DoneMessage.Rejected(taskId, Reasons.PathNotFound, "no"), null);
    }

    [Fact]
    public async Task RunAsync_ConfirmHeldForOneAnswer_OtherAnswersArePublishedAndAckedMeanwhile()
    {
        _done.Hold("slow");
        var running = Lanes(4).RunAsync(_outcomes.Reader, CancellationToken.None);
        await _outcomes.Writer.WriteAsync(Rejected("slow"));
        await _done.Started("slow").WaitAsync(Deadline);
        // Each quick answer signals its own ack: they settle in different lanes, in either order.
        var acked1 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var acked2 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _outcomes.Writer.WriteAsync(Rejected("quick-1", () => acked1.TrySetResult()));
        await _outcomes.Writer.WriteAsync(Rejected("quick-2", () => acked2.TrySetResult()));

        await Task.WhenAll(acked1.Task, acked2.Task).WaitAsync(Deadline);
        var whileHeld = _log.Events;
        _done.Release("slow");
        _outcomes.Writer.Complete();
        await running.WaitAsync(Deadline);

        Assert.Contains("ack quick-1", whileHeld);
        Assert.Contains("ack quick-2", whileHeld);
        Assert.DoesNotContain("ack slow", whileHeld);
        var events = _log.Events.ToList();
        Assert.True(events.IndexOf("confirmed slow") < events.IndexOf("ack slow"), "an answer is acked only after its confirm");
    }

    [Fact]
    public async Task RunAsync_EveryAnswer_AckedOnceAndOnlyAfterItsConfirm()
    {
        var ids = Enumerable.Range(0, 50).Select(i => $"t-{i}").ToList();
        var running = Lanes(4).RunAsync(_outcomes.Reader, CancellationToken.None);
        foreach (var id in ids)
        {
            await _outcomes.Writer.WriteAsync(Rejected(id));
        }

        _outcomes.Writer.Complete();
        await running.WaitAsync(Deadline);

        var events = _log.Events.ToList();
        foreach (var id in ids)
        {
            Assert.Single(events, e => e == "ack " + id);
            Assert.Single(events, e => e == "publish " + id);
            Assert.True(events.IndexOf("confirmed " + id) < events.IndexOf("ack " + id), id + " acked before its confirm");
        }
    }

    [Fact]
    public async Task RunAsync_PublishRefused_ThatDeliveryIsLeftForRedeliveryAndTheOthersAreAcked()
    {
        _done.Refused["refused"] = true;
        var running = Lanes(2).RunAsync(_outcomes.Reader, CancellationToken.None);
        await _outcomes.Writer.WriteAsync(Rejected("before"));
        await _outcomes.Writer.WriteAsync(Rejected("refused"));
        await _outcomes.Writer.WriteAsync(Rejected("after"));
        _outcomes.Writer.Complete();
        await running.WaitAsync(Deadline);

        var events = _log.Events;
        Assert.Contains("ack before", events);
        Assert.Contains("ack after", events);
        Assert.DoesNotContain("ack refused", events);
        Assert.DoesNotContain("requeue refused", events);
    }

    [Fact]
    public async Task RunAsync_OneLane_SettlesOneAnswerAfterAnother()
    {
        var running = Lanes(1).RunAsync(_outcomes.Reader, CancellationToken.None);
        await _outcomes.Writer.WriteAsync(Rejected("first"));
        await _outcomes.Writer.WriteAsync(Rejected("second"));
        _outcomes.Writer.Complete();
        await running.WaitAsync(Deadline);

        Assert.Equal(["publish first", "confirmed first", "ack first", "publish second", "confirmed second", "ack second"], _log.Events);
    }

    [Fact]
    public async Task RunAsync_AbortWhileAConfirmIsHeld_ReturnsWithoutAckingIt()
    {
        _done.Hold("held");
        using var abort = new CancellationTokenSource();
        var running = Lanes(2).RunAsync(_outcomes.Reader, abort.Token);
        await _outcomes.Writer.WriteAsync(Rejected("held"));
        await _done.Started("held").WaitAsync(Deadline);

        await abort.CancelAsync();
        _outcomes.Writer.Complete();
        await running.WaitAsync(Deadline);

        Assert.DoesNotContain("ack held", _log.Events);
    }

    /// <summary>Settles one named delivery, logging "ack name" / "requeue name".</summary>
    private sealed class NamedSettlement(string name, EventLog log, Action? onAck) : IDeliverySettlement
    {
        public Task<bool> AckAsync(CancellationToken cancellationToken)
        {
            log.Add("ack " + name);
            onAck?.Invoke();
            return Task.FromResult(true);
        }

        public Task RequeueAsync(CancellationToken cancellationToken)
        {
            log.Add("requeue " + name);
            return Task.CompletedTask;
        }
    }
}
