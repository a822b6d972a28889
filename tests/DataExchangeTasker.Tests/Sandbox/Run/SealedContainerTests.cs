using System.Net;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Sandbox.Run;

/// <summary>
/// The one container run sequence: the object that created a container with a removal logger removes it whatever
/// happened; without one (a task's container, the evidence that it ran) it never does.
/// </summary>
public sealed class SealedContainerTests
{
    private readonly FakeDockerEngine _docker = new();

    private static CreateContainerParameters Spec() => new() { Image = "runner", Labels = new Dictionary<string, string>() };

    [Fact]
    public async Task DisposeAsync_CreatedWithARemovalLogger_RemovesTheContainer()
    {
        var container = await SealedContainer.CreateAsync(_docker, "prep-1", Spec(), Logger.None, CancellationToken.None);
        await container.StartAsync(CancellationToken.None);

        await container.DisposeAsync();

        Assert.Null(_docker.Find("prep-1"));
        Assert.Contains("remove " + container.Id, _docker.Calls);
    }

    [Fact]
    public async Task DisposeAsync_CallerAlreadyCancelled_StillRemovesWithItsOwnDeadline()
    {
        using var caller = new CancellationTokenSource();
        SealedContainer? created = null;
        var run = async () =>
        {
            await using var container = await SealedContainer.CreateAsync(_docker, "prep-2", Spec(), Logger.None, caller.Token);
            created = container;
            await caller.CancelAsync();
            caller.Token.ThrowIfCancellationRequested();
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(run);

        Assert.NotNull(created);
        Assert.Null(_docker.Find("prep-2"));
    }

    [Fact]
    public async Task DisposeAsync_CreatedWithoutARemovalLogger_LeavesTheContainer()
    {
        var container = await SealedContainer.CreateAsync(_docker, "task-1", Spec(), removeOnDispose: null, CancellationToken.None);

        await container.DisposeAsync();

        Assert.NotNull(_docker.Find("task-1"));
        Assert.DoesNotContain(_docker.Calls, c => c.StartsWith("remove", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisposeAsync_RemovalFails_DoesNotThrow()
    {
        var container = await SealedContainer.CreateAsync(_docker, "prep-3", Spec(), Logger.None, CancellationToken.None);
        _docker.FailNext("remove", 1, () => FakeDockerEngine.Answered(HttpStatusCode.InternalServerError, "device busy", "DELETE /containers/{id}"));

        await container.DisposeAsync();

        Assert.NotNull(_docker.Find("prep-3"));
    }

    [Fact]
    public void ArchiveCap_SizeLimit_AllowsATenthAndSixteenMebibytesForTarsHeaders()
    {
        Assert.Equal((100L << 20) + (10L << 20) + (16L << 20), SealedContainer.ArchiveCap(100L << 20));
    }
}
