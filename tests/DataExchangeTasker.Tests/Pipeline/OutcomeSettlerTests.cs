using System.Text;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox;
using DataExchangeTasker.Tests.Support;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

public sealed class OutcomeSettlerTests : IDisposable
{
    private const string Key = "tasker-unit-t-1";

    private readonly TempDirectory _temp = new();
    private readonly TaskMetrics _metrics = new();
    private readonly EventLog _log = new();
    private readonly ActiveSites _active = new();
    private readonly RecordingDonePublisher _done;
    private readonly RecordingSettlement _settlement;
    private readonly OutcomeSettler _settler;
    private readonly TaskSite _site;

    public OutcomeSettlerTests()
    {
        _done = new RecordingDonePublisher(_log);
        _settlement = new RecordingSettlement(_log);
        _settler = new OutcomeSettler(_done, new RecordingDeadLetterPublisher(_log), new RecordingSiteRemover(_log), _metrics, Logger.None);
        _site = new TaskSite(Key, _temp.CreateFolder("work"));
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _temp.Dispose();
    }

    private InboundDelivery Delivery => new(Encoding.UTF8.GetBytes("{}"), false, null, null, null, "application/json", _settlement);

    private static DoneMessage Done => new("t-1", TaskStates.Success, "", null, 0, null, 12);

    private static async Task<bool> AnsweredAsSeenBy(Task<TaskClaim?> waiter)
    {
        var claim = await waiter.WaitAsync(TimeSpan.FromSeconds(30));
        claim?.Dispose();
        return claim is null;
    }

    [Fact]
    public async Task SettleAsync_Answer_PublishesThenRecordsThenAcksThenRemoves()
    {
        var markerAtAck = false;
        _settlement.OnAck = () => markerAtAck = File.Exists(_site.PublishedMarker);

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _site), CancellationToken.None);

        Assert.Equal(["publish t-1", "ack", "remove " + Key], _log.Events);
        Assert.True(markerAtAck, "the published marker is written before the ack");
    }

    [Fact]
    public async Task SettleAsync_AnswerWithClaim_ReleasesItAnswered()
    {
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiting = _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _site) { Claim = claim }, CancellationToken.None);

        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(_active.Contains(Key));
    }

    [Fact]
    public async Task SettleAsync_PublishFails_NeitherAcksNorRemovesAndReleasesTheClaimUnanswered()
    {
        _done.Failure = new OperationCanceledException("aborted");
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiter = _active.ClaimAsync(Key, CancellationToken.None);

        await Assert.ThrowsAsync<OperationCanceledException>(() => _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _site) { Claim = claim }, CancellationToken.None));

        Assert.Empty(_log.Events);
        Assert.False(File.Exists(_site.PublishedMarker));
        Assert.False(await AnsweredAsSeenBy(waiter), "a waiting redelivery must run the task itself");
    }

    [Fact]
    public async Task SettleAsync_AckFails_StillRemovesAndCountsAsAnswered()
    {
        _settlement.AckSucceeds = false;
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiter = _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _site) { Claim = claim }, CancellationToken.None);

        Assert.Equal(["publish t-1", "ack", "remove " + Key], _log.Events);
        Assert.True(File.Exists(_site.PublishedMarker));
        Assert.True(await AnsweredAsSeenBy(waiter));
    }

    [Fact]
    public async Task SettleAsync_RejectedAnswerWithoutSite_PublishesAndAcksOnly()
    {
        await _settler.SettleAsync(new AnswerOutcome(Delivery, DoneMessage.Rejected("t-1", Reasons.PathNotFound, "no"), null), CancellationToken.None);

        Assert.Equal(["publish t-1", "ack"], _log.Events);
    }

    [Fact]
    public async Task SettleAsync_AlreadyAnswered_AcksAndRemovesWithoutPublishing()
    {
        await _settler.SettleAsync(new AlreadyAnsweredOutcome(Delivery, _site), CancellationToken.None);

        Assert.Equal(["ack", "remove " + Key], _log.Events);
    }

    [Fact]
    public async Task SettleAsync_DeadLetter_PublishesTheCopyThenAcks()
    {
        await _settler.SettleAsync(new DeadLetterOutcome(Delivery, "not JSON"), CancellationToken.None);

        Assert.Equal(["dead-letter not JSON", "ack"], _log.Events);
    }

    [Fact]
    public async Task SettleAsync_Requeue_RequeuesAndReleasesTheClaimUnanswered()
    {
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiter = _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new RequeueOutcome(Delivery) { Claim = claim }, CancellationToken.None);

        Assert.Equal(["requeue"], _log.Events);
        Assert.False(await AnsweredAsSeenBy(waiter));
    }
}
