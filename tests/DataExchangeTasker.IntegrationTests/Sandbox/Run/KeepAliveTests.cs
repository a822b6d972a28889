using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox.Run;

/// <summary>TASKER_KEEP_ALIVE: the debugging mode that keeps a task's container up after its code ended.</summary>
[Collection(RestartCollection.Name)]
public sealed class KeepAliveTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_KeepAlive_AnswersWhenCodeEndsKeepsContainerForExecAndRemovesItWhenTimeIsUp()
    {
        var code = fixture.WriteCode(Unique("keep"), "print('kept alive output')\n");
        var data = fixture.WriteData(Unique("keep") + ".txt", "x");
        using var log = new StderrCapture();
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(
            ("TASKER_KEEP_ALIVE", "true"), ("TASKER_KEEP_ALIVE_TIMEOUT", "10"), ("TASKER_CLEANUP_GRACE", "0")), TestTimings.FastSweep);
        try
        {
            var done = await tasker.RunAsync(new StartMessage(Unique("keep"), code, data));

            Assert.Equal(TaskStates.Success, done.State);
            Assert.Equal(0, done.ExitCode);
            Assert.Equal("kept alive output\n", done.ContainerOutput!.Stdout);
            HostileTaskTests.AssertTraced(done);

            // The answer came while the container still runs (it sleeps for the keep-alive time after the code).
            var container = Assert.Single(await tasker.ContainersAsync(fixture));
            var shortId = container.ID[..12];
            var (code1, stdout, stderr) = await DockerCliAsync("exec", container.ID, "cat", "/run/tasker/stdout.txt");
            Assert.True(code1 == 0, "docker exec failed: " + stderr);
            Assert.Equal("kept alive output\n", stdout);
            Assert.Contains($"docker exec -it {shortId} sh", log.Text, StringComparison.Ordinal);
            Assert.Contains($"docker exec -it -u 64000:64000 {shortId} sh", log.Text, StringComparison.Ordinal);

            // The sweeper (every second here, every 30 s in production) removes it once its keep-alive time is up.
            await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Count == 0, TimeSpan.FromSeconds(120), "the kept-alive container to be removed");
        }
        finally
        {
            await RemoveContainersAsync(tasker);
        }
    }

    private async Task RemoveContainersAsync(InProcessTasker tasker)
    {
        foreach (var container in await tasker.ContainersAsync(fixture))
        {
            await fixture.Docker.RemoveContainerAsync(container.ID, CancellationToken.None);
        }
    }
}
