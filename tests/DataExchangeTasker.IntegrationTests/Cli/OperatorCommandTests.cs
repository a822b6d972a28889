using System.Text.Json;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Sandbox.Spec;
using Docker.DotNet.Models;

namespace DataExchangeTasker.IntegrationTests.Cli;

/// <summary>What an operator runs: cleanup of leftovers, JSON logs.</summary>
[Collection(OperatorCommandCollection.Name)]
public sealed class OperatorCommandTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Cleanup_LeftoverContainer_IsRemovedButRunningTasksKept()
    {
        var stopped = await CreateAsync("cleanup-stopped", ["true"]);
        var running = await CreateAsync("cleanup-running", ["sleep", "300"]);
        await fixture.Docker.StartContainerAsync(running, CancellationToken.None);
        try
        {
            await using var cleanup = TaskerProcess.Start(new Dictionary<string, string?>(), "cleanup");

            Assert.Equal(0, await cleanup.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Null(await fixture.Docker.InspectContainerAsync(stopped, CancellationToken.None));
            Assert.NotNull(await fixture.Docker.InspectContainerAsync(running, CancellationToken.None));
            Assert.Contains("removed container", cleanup.Output, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Docker.RemoveContainerAsync(running, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Run_JsonLogFormat_EveryLineIsCompactJsonAndTaskLinesCarryTaskId()
    {
        var code = fixture.WriteCode("json-logs", "print('j')\n");
        var data = fixture.WriteData("json-logs.txt", "x");
        var env = fixture.ProcessEnvironment("json");
        env["TASKER_LOG_FORMAT"] = "json";
        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

        await client.PublishAsync(new Protocol.StartMessage("json-task-1", code, data));
        await client.CollectResultsAsync(1, TimeSpan.FromSeconds(60));
        await tasker.WaitForOutputAsync("\"State\":\"success\"", TimeSpan.FromSeconds(30));
        await tasker.SignalAsync("TERM");
        Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var lines = tasker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var events = lines.Select(l => JsonDocument.Parse(l)).ToList();
        // CLEF: every event has a timestamp and a message template; properties sit at the top level.
        Assert.All(events, e => Assert.True(e.RootElement.TryGetProperty("@t", out _) && e.RootElement.TryGetProperty("@mt", out _), e.RootElement.GetRawText()));
        var taskLines = events.Where(e => e.RootElement.TryGetProperty("TaskId", out var id) && id.GetString() == "json-task-1").ToList();
        Assert.Equal(2, taskLines.Count);
        Assert.Contains(taskLines, e => e.RootElement.TryGetProperty("ContainerId", out _));
    }

    [Fact]
    public async Task Cleanup_LiveTaskerOwnsCreatedAndExitedContainers_TheySurviveAndDeadOwnersGo()
    {
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        var owner = tasker.Options.TaskerId;
        // What a live tasker has between create and start, and between exit and publishing the answer.
        var created = await CreateAsync("live-created", ["true"], owner);
        var exited = await CreateAsync("live-exited", ["true"], owner);
        await fixture.Docker.StartContainerAsync(exited, CancellationToken.None);
        await DockerCli.RunAsync(null, ["wait", exited], TimeSpan.FromSeconds(30), CancellationToken.None);
        var dead = await CreateAsync("dead-owner", ["true"], "dead-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var cleanup = TaskerProcess.Start(new Dictionary<string, string?> { ["TASKER_WORK_ROOT"] = tasker.Options.Sandbox.WorkRoot }, "cleanup");

            Assert.Equal(0, await cleanup.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.NotNull(await fixture.Docker.InspectContainerAsync(created, CancellationToken.None));
            Assert.NotNull(await fixture.Docker.InspectContainerAsync(exited, CancellationToken.None));
            Assert.Null(await fixture.Docker.InspectContainerAsync(dead, CancellationToken.None));
            Assert.Contains("running tasker", cleanup.Output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var id in new[] { created, exited, dead })
            {
                await fixture.Docker.RemoveContainerAsync(id, CancellationToken.None);
            }
        }
    }

    private async Task<string> CreateAsync(string name, IReadOnlyList<string> cmd, string owner = "cleanup-test")
    {
        var labels = new Dictionary<string, string> { [ContainerLabels.Managed] = "1", [ContainerLabels.TaskId] = name, [ContainerLabels.Owner] = owner };

        return await fixture.Docker.CreateContainerAsync(null, new CreateContainerParameters
        {
            Image = EngineRequirement.RunnerImage,
            Entrypoint = [.. cmd],
            Labels = labels,
            HostConfig = new HostConfig { NetworkMode = "none" },
        }, CancellationToken.None);
    }
}

/// <summary>
/// <c>tasker cleanup</c> acts on every tasker's containers on the engine (it can only tell live taskers by the leases in
/// its own work root), so its tests run alone, never beside other collections' tasks: after the parallel lanes in this
/// process, and after another test process's tasks (<see cref="OtherTestProcessWait"/>: scripts/test.sh's gVisor lane).
/// The published binary's tests (<see cref="ShippedBinaryTests"/>) run here too: last, when its publish beside the
/// suite has ended or nearly.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class OperatorCommandCollection : ICollectionFixture<TaskerFixture>, ICollectionFixture<OtherTestProcessWait>, ICollectionFixture<ShippedBinary>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "operator-commands";
}
