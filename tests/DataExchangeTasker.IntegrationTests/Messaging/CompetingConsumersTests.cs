using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>Several taskers on one queue share the work (prefetch = concurrency) and answer each task once.</summary>
[Collection(RestartCollection.Name)]
public sealed class CompetingConsumersTests(TaskerFixture fixture)
{
    [Fact]
    public async Task TwoTaskers_TwentyTasks_EachTaskExactlyOneDoneAndBothDidWork()
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
        // Twenty prove what a hundred did (each taken once, by either tasker, both busy): with prefetch 2 per tasker,
        // the broker hands both their first deliveries at once and keeps both fed until the queue is empty.
        const int Tasks = 20;
        var ids = Enumerable.Range(1, Tasks).Select(i => $"shared-{i:000}").ToList();
        await using var startsA = DockerEvents.FollowStarts(a.Options.TaskerId);
        await using var startsB = DockerEvents.FollowStarts(b.Options.TaskerId);

        foreach (var id in ids)
        {
            await a.PublishAsync(new StartMessage(id, code, data));
        }

        var done = await a.CollectResultsAsync(Tasks, TimeSpan.FromMinutes(2));

        Assert.Equal(ids, done.Select(d => d.TaskId).Order(StringComparer.Ordinal));
        Assert.All(done, d => Assert.Equal(TaskStates.Success, d.State));
        // Start events arrive asynchronously: waited for until every task's start was seen (not a fixed 5 s per tasker).
        await a.WaitUntilAsync(() => startsA.TaskIds.Count + startsB.TaskIds.Count >= Tasks, TimeSpan.FromSeconds(10), "every task's start event");
        var byA = startsA.TaskIds;
        var byB = startsB.TaskIds;
        Assert.NotEmpty(byA);
        Assert.NotEmpty(byB);
        Assert.Equal(Tasks, byA.Count + byB.Count);
        Assert.Empty(byA.Intersect(byB));
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(a.Options.Messaging.DoneQueue));
    }
}
