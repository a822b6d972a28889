using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Tests.Support;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

public sealed class OutcomeSettlerTests : IDisposable
{
    private const string Key = "tasker-unit-t-1";

    private readonly TempDirectory _temp = new();
    private readonly TaskMetrics _metrics = new();
    private readonly EventLog _log = new();
    private readonly ClaimedContainers _active = new();
    private readonly RecordingDonePublisher _done;
    private readonly RecordingSettlement _settlement;
    private readonly OutcomeSettler _settler;
    private readonly TaskKey _taskKey;
    private readonly AnswerLedger _ledger;

    public OutcomeSettlerTests()
    {
        _done = new RecordingDonePublisher(_log);
        _settlement = new RecordingSettlement(_log);
        _ledger = new AnswerLedger(_temp.Combine("work"));
        _settler = new OutcomeSettler(_done, new RecordingDeadLetterPublisher(_log), new RecordingContainerRemover(_log), _ledger, new RecordingIntakeHold(_log), _metrics, Logger.None);
        _taskKey = new TaskKey(Key);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _temp.Dispose();
    }

    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{}");

    private InboundDelivery Delivery => new(Body, false, null, null, null, "application/json", _settlement);

    private bool Recorded => _ledger.HasAnswered(Key, Convert.ToHexStringLower(SHA256.HashData(Body)));

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
        _settlement.OnAck = () => markerAtAck = Recorded && new AnswerLedger(_temp.Combine("work")).HasAnswered(Key, Convert.ToHexStringLower(SHA256.HashData(Body)));

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _taskKey), CancellationToken.None);

        Assert.Equal(["publish t-1", "ack", "remove " + Key], _log.Events);
        Assert.True(markerAtAck, "the answer is recorded (in memory and on disk) before the ack");
    }

    [Fact]
    public async Task SettleAsync_AnswerWithClaim_ReleasesItAnswered()
    {
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiting = _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _taskKey) { Claim = claim }, CancellationToken.None);

        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(_active.Contains(Key));
    }

    [Fact]
    public async Task SettleAsync_PublishFails_NeitherAcksNorRemovesAndReleasesTheClaimUnanswered()
    {
        _done.Failure = new OperationCanceledException("aborted");
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiter = _active.ClaimAsync(Key, CancellationToken.None);

        await Assert.ThrowsAsync<OperationCanceledException>(() => _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _taskKey) { Claim = claim }, CancellationToken.None));

        Assert.Empty(_log.Events);
        Assert.False(Recorded);
        Assert.False(await AnsweredAsSeenBy(waiter), "a waiting redelivery must run the task itself");
    }

    [Fact]
    public async Task SettleAsync_AckFails_StillRemovesAndCountsAsAnswered()
    {
        _settlement.AckSucceeds = false;
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiter = _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _taskKey) { Claim = claim }, CancellationToken.None);

        Assert.Equal(["publish t-1", "ack", "remove " + Key], _log.Events);
        Assert.True(Recorded);
        Assert.True(await AnsweredAsSeenBy(waiter));
    }

    [Fact]
    public async Task SettleAsync_RejectedAnswerWithoutTaskKey_PublishesAndAcksOnly()
    {
        await _settler.SettleAsync(new AnswerOutcome(Delivery, DoneMessage.Rejected("t-1", Reasons.PathNotFound, "no"), null), CancellationToken.None);

        Assert.Equal(["publish t-1", "ack"], _log.Events);
    }

    [Fact]
    public async Task SettleAsync_AlreadyAnsweredUnderClaim_AcksAndRemovesWithoutPublishing()
    {
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new AlreadyAnsweredOutcome(Delivery, _taskKey) { Claim = claim }, CancellationToken.None);

        Assert.Equal(["ack", "remove " + Key], _log.Events);
        Assert.False(_active.Contains(Key));
    }

    [Fact]
    public async Task SettleAsync_AlreadyAnsweredWithoutClaim_OnlyAcks()
    {
        await _settler.SettleAsync(new AlreadyAnsweredOutcome(Delivery, _taskKey), CancellationToken.None);

        Assert.Equal(["ack"], _log.Events);
    }

    [Fact]
    public async Task SettleAsync_AnswerCannotBeRecordedOnDisk_StillAcksAndRemembersInMemory()
    {
        // A folder where the record file goes: writing it fails, as on a full disk.
        _temp.CreateFolder("work/answered/" + Key);

        await _settler.SettleAsync(new AnswerOutcome(Delivery, Done, _taskKey), CancellationToken.None);

        Assert.Equal(["publish t-1", "ack", "remove " + Key], _log.Events);
        Assert.True(Recorded);
    }

    [Fact]
    public async Task SettleAsync_EngineOutage_HoldsIntakeThenRequeuesAndReleasesTheClaimUnanswered()
    {
        var claim = await _active.ClaimAsync(Key, CancellationToken.None);
        var waiter = _active.ClaimAsync(Key, CancellationToken.None);

        await _settler.SettleAsync(new EngineOutageOutcome(Delivery, "unreachable") { Claim = claim }, CancellationToken.None);

        Assert.Equal(["hold intake", "requeue"], _log.Events);
        Assert.False(await AnsweredAsSeenBy(waiter));
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
