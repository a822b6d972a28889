using System.Globalization;
using System.Text;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Spec;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace DataExchangeTasker.IntegrationTests.Cluster;

/// <summary>
/// Scale-out as README "Scaling out" describes it: a three-node RabbitMQ cluster with quorum queues, two Docker
/// engines standing in for two hosts, the real tasker binary on each, a broker node and a tasker killed mid-run.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ScaleOutTests(TaskerFixture fixture, ITestOutputHelper output)
{
    private const int Tasks = 60;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_TwoHostsOnAClusterWithANodeAndATaskerKilled_EveryTaskAnsweredNoneRunTwiceOnAnEngineNothingLeft()
    {
        using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var starting = RabbitMqCluster.StartAsync(overall.Token);
        var engine2Starting = SecondDockerEngine.StartAsync(EngineRequirement.RunnerImage, overall.Token);
        await using var cluster = await starting;
        await using var engine2 = await engine2Starting;
        output.WriteLine($"cluster and second engine up after {clock.Elapsed.TotalSeconds:F0} s");

        var run = "scale-" + Guid.NewGuid().ToString("N")[..6];
        var code = fixture.WriteCode(run, "import time\ntime.sleep(1)\nprint('scaled')\n");
        var data = fixture.WriteData(run + ".txt", "x");
        // Node 3 is never killed: the test's own clients stay on it. The taskers get every node, in different orders.
        var hostA = Environment(run, "a", cluster.AmqpUris, dockerHost: null);
        var hostB = Environment(run, "b", [cluster.AmqpUris[0], cluster.AmqpUris[2], cluster.AmqpUris[1]], SecondDockerEngine.DockerHost);
        await using var startsA = DockerEvents.FollowStarts(hostA["TASKER_ID"]!);
        await using var startsB = DockerEvents.FollowStarts(hostB["TASKER_ID"]!, SecondDockerEngine.DockerHost);

        await using var taskerA = TaskerProcess.Start(hostA, "run");
        var taskerB = TaskerProcess.Start(hostB, "run");
        TaskerProcess? restartedB = null;
        try
        {
            await taskerA.WaitForOutputAsync("Ready", ReadyTimeout);
            await taskerB.WaitForOutputAsync("Ready", ReadyTimeout);
            await using var collector = await DoneQueueCollector.StartAsync(cluster.AmqpUris[2], hostA["TASKER_DONE_QUEUE"]!, overall.Token);
            var ids = Enumerable.Range(1, Tasks).Select(i => $"{run}-{i.ToString("D2", CultureInfo.InvariantCulture)}").ToList();
            await PublishAsync(cluster.AmqpUris[2], hostA["TASKER_TODO_QUEUE"]!, ids, code, data, overall.Token);

            await collector.WaitForDistinctAsync(Tasks / 4, TimeSpan.FromSeconds(90));
            output.WriteLine($"{collector.Received.Count} done after {clock.Elapsed.TotalSeconds:F0} s; killing node 1 and tasker b");
            await Task.WhenAll(cluster.KillAsync(0, overall.Token), taskerB.SignalAsync("KILL"));
            await taskerB.WaitForExitAsync(TimeSpan.FromSeconds(30));
            // The killed tasker's containers: its successor leaves them to end by themselves.
            var killedRun = await ContainerIdsAsync(SecondDockerEngine.DockerHost, hostB["TASKER_ID"]!);
            restartedB = TaskerProcess.Start(hostB, "run");
            await cluster.StartAgainAsync(0, overall.Token);
            await restartedB.WaitForOutputAsync("Ready", ReadyTimeout);

            await collector.WaitForDistinctAsync(Tasks, TimeSpan.FromSeconds(100));
            output.WriteLine($"all {Tasks} answered after {clock.Elapsed.TotalSeconds:F0} s");
            // Start messages whose ack was lost with a connection come back; let the taskers settle them (an ack after
            // the marker on the same host, a second run on the other), then drain both so nothing is in flight.
            await WaitForAsync(async () => (await cluster.QueuesAsync(2, overall.Token)).GetValueOrDefault(hostA["TASKER_TODO_QUEUE"]!) == 0, "the todo queue to be empty");
            await Task.WhenAll(taskerA.SignalAsync("TERM"), restartedB.SignalAsync("TERM"));
            Assert.Equal(0, await taskerA.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, await restartedB.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            await WaitForAsync(async () => (await cluster.QueuesAsync(2, overall.Token)).GetValueOrDefault(hostA["TASKER_DONE_QUEUE"]!) == 0, "the done queue to be read");

            var done = collector.Received;
            var onA = startsA.TaskIds;
            var onB = startsB.TaskIds;
            var duplicates = done.GroupBy(d => d.TaskId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            output.WriteLine($"{done.Count} done messages for {Tasks} tasks: {duplicates.Count} duplicate(s) [{string.Join(", ", duplicates)}]; " +
                             $"container starts: engine 1 {onA.Count}, engine 2 {onB.Count}; total {clock.Elapsed.TotalSeconds:F0} s");

            Assert.Equal(ids, done.Select(d => d.TaskId).Distinct().Order(StringComparer.Ordinal));
            Assert.All(done, d => Assert.Equal(TaskStates.Success, d.State));
            // Never twice on one engine (adoption); a task may run once on each host (README "Scaling out").
            Assert.Equal(onA.Count, onA.Distinct().Count());
            Assert.Equal(onB.Count, onB.Distinct().Count());
            // A duplicate done message only where README says it may happen: the task ran on both hosts.
            Assert.All(duplicates, id => Assert.True(onA.Contains(id) && onB.Contains(id), $"{id} answered twice but not run on both engines"));
            Assert.All(done.GroupBy(d => d.TaskId), g => Assert.True(g.Count() <= 2, $"{g.Key} answered {g.Count()} times"));

            // Nothing left behind: no containers on engine 1 and no messages in any queue of this run. On engine 2 only
            // the killed tasker's own containers may remain: its successor never removes one a redelivery might still
            // want (README "Delivery semantics"); they end at their time limit and collect window, and go a day later.
            await WaitForAsync(async () => await ContainersAsync(null, hostA["TASKER_ID"]!) == 0, "engine 1 to hold no task containers");
            Assert.Subset(killedRun, await ContainerIdsAsync(SecondDockerEngine.DockerHost, hostB["TASKER_ID"]!));
            var queues = await cluster.QueuesAsync(2, overall.Token);
            Assert.All(queues.Where(q => q.Key.StartsWith(run, StringComparison.Ordinal)), q => Assert.Equal(0, q.Value));
        }
        finally
        {
            await taskerB.DisposeAsync();
            if (restartedB is not null)
            {
                await restartedB.DisposeAsync();
            }
        }
    }

    /// <summary>One host's tasker: its own engine, id, work, snapshot and results roots; shared queues of quorum type.</summary>
    private Dictionary<string, string?> Environment(string run, string host, IEnumerable<Uri> nodes, string? dockerHost)
    {
        var root = Path.Combine(fixture.Root, run + "-" + host);
        var env = new Dictionary<string, string?>
        {
            ["TASKER_AMQP_URI"] = string.Join(",", nodes),
            ["TASKER_CODE_ROOT"] = fixture.CodeRoot,
            ["TASKER_DATA_ROOT"] = fixture.DataRoot,
            ["TASKER_WORK_ROOT"] = Path.Combine(root, "work"),
            ["TASKER_SNAPSHOT_ROOT"] = Path.Combine(root, "snapshots"),
            ["TASKER_RESULTS_ROOT"] = Path.Combine(root, "results"),
            ["TASKER_TODO_QUEUE"] = run + ".todo",
            ["TASKER_DONE_QUEUE"] = run + ".done",
            ["TASKER_QUEUE_TYPE"] = "quorum",
            ["TASKER_ID"] = run + "-" + host,
            ["TASKER_CONCURRENCY"] = "3",
            ["TASKER_CLEANUP_GRACE"] = "2",
            ["TASKER_HTTP_BIND"] = "off",
            ["TASKER_IMAGE"] = EngineRequirement.RunnerImage,
        };
        if (dockerHost is not null)
        {
            env["DOCKER_HOST"] = dockerHost;
        }

        return env;
    }

    private static async Task PublishAsync(Uri node, string todo, IEnumerable<string> ids, string code, string data, CancellationToken cancellationToken)
    {
        await using var connection = await new ConnectionFactory { Uri = node, AutomaticRecoveryEnabled = false }.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        foreach (var id in ids)
        {
            await channel.BasicPublishAsync("", todo, mandatory: true, new BasicProperties { Persistent = true, ContentType = "application/json" },
                Encoding.UTF8.GetBytes($"{{\"taskId\":\"{id}\",\"codePath\":\"{code}\",\"dataPath\":\"{data}\"}}"), cancellationToken);
        }
    }

    private static async Task<HashSet<string>> ContainerIdsAsync(string? dockerHost, string owner) =>
        [.. (await DockerCli.RunAsync(dockerHost, ["ps", "-aq", "--filter", $"label={ContainerLabels.Owner}={owner}"], TimeSpan.FromSeconds(30), CancellationToken.None))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static async Task<int> ContainersAsync(string? dockerHost, string owner) =>
        (await DockerCli.RunAsync(dockerHost, ["ps", "-aq", "--filter", $"label={ContainerLabels.Owner}={owner}"], TimeSpan.FromSeconds(30), CancellationToken.None))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for " + what);
            await Task.Delay(250);
        }
    }
}
