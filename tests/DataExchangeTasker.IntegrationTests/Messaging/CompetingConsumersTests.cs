using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>Several taskers on one queue share the work (prefetch = concurrency) and answer each task once.</summary>
[Collection(TaskerCollection.Name)]
public sealed class CompetingConsumersTests(TaskerFixture fixture)
{
    [Fact]
    public async Task TwoTaskers_HundredTasks_EachTaskExactlyOneDoneAndBothDidWork()
    {
        var code = fixture.WriteCode("competing", "import sys, os\nprint(os.environ.get('HOSTNAME', ''))\n");
        var data = fixture.WriteData("competing.txt", "x");
        await using var a = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.Concurrency.Name] = "2" });
        var shared = new Dictionary<string, string?>
        {
            [Settings.Concurrency.Name] = "2",
            [Settings.TodoQueue.Name] = a.Options.Messaging.TodoQueue,
            [Settings.DoneQueue.Name] = a.Options.Messaging.DoneQueue,
        };
        await using var b = await InProcessTasker.StartAsync(fixture, shared);
        var ids = Enumerable.Range(1, 100).Select(i => $"shared-{i:000}").ToList();
        await using var startsA = DockerEvents.FollowStarts(a.Options.TaskerId);
        await using var startsB = DockerEvents.FollowStarts(b.Options.TaskerId);

        foreach (var id in ids)
        {
            await a.PublishAsync(new StartMessage(id, code, data));
        }

        var done = await a.CollectResultsAsync(100, TimeSpan.FromMinutes(5));

        Assert.Equal(ids, done.Select(d => d.TaskId).Order(StringComparer.Ordinal));
        Assert.All(done, d => Assert.Equal(TaskStates.Success, d.State));
        var byA = await startsA.WaitForAsync(100, TimeSpan.FromSeconds(5));
        var byB = await startsB.WaitForAsync(100 - byA.Count, TimeSpan.FromSeconds(5));
        Assert.NotEmpty(byA);
        Assert.NotEmpty(byB);
        Assert.Equal(100, byA.Count + byB.Count);
        Assert.Empty(byA.Intersect(byB));
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(a.Options.Messaging.DoneQueue));
    }
}
