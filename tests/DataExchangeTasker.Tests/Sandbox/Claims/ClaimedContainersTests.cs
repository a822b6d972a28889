using DataExchangeTasker.Sandbox.Claims;

namespace DataExchangeTasker.Tests.Sandbox.Claims;

public sealed class ClaimedContainersTests
{
    private readonly ClaimedContainers _active = new();

    [Fact]
    public async Task ClaimAsync_FreeKey_ReturnsAClaimUntilDisposed()
    {
        var claim = await _active.ClaimAsync("k", CancellationToken.None);

        Assert.NotNull(claim);
        Assert.Equal("k", claim.Key);
        Assert.True(_active.Contains("k"));
        claim.Dispose();
        Assert.False(_active.Contains("k"));
    }

    [Fact]
    public async Task ClaimAsync_HolderAnswers_WaiterGetsNoClaim()
    {
        var first = await _active.ClaimAsync("k", CancellationToken.None);

        var second = _active.ClaimAsync("k", CancellationToken.None);
        Assert.False(second.IsCompleted, "a second delivery waits for the first");
        first!.MarkAnswered();
        first.Dispose();

        Assert.Null(await second.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ClaimAsync_HolderReleasesUnanswered_WaiterTakesTheClaim()
    {
        var first = await _active.ClaimAsync("k", CancellationToken.None);

        var second = _active.ClaimAsync("k", CancellationToken.None);
        first!.Dispose();

        using var taken = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(taken);
        Assert.True(_active.Contains("k"));
    }

    [Fact]
    public async Task Dispose_Twice_DoesNotReleaseALaterClaim()
    {
        var first = await _active.ClaimAsync("k", CancellationToken.None);
        first!.Dispose();
        using var second = await _active.ClaimAsync("k", CancellationToken.None);

        first.Dispose();

        Assert.True(_active.Contains("k"), "the first claim's second dispose must not release the second claim");
    }

    [Fact]
    public async Task ClaimAsync_CancelledWhileWaiting_Throws()
    {
        using var first = await _active.ClaimAsync("k", CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var second = _active.ClaimAsync("k", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
