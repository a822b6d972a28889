using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Witness;

/// <summary>
/// The second witness (issue 24): the host kernel's record of the data files each task opened, against the real
/// kernel, engine and runner image.
/// </summary>
[Collection(TaskerCollection.Name)]
public sealed class WitnessTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_CodeReadingDataThroughIoUring_EndsTraceIncompleteNamingTheFile()
    {
        var folder = Unique("uring");
        fixture.WriteData(folder + "/hidden.txt", "hidden-uring-secret");
        var code = fixture.WriteCode(Unique("uring"), IoUringReadScript.Python.Replace("sys.argv[1].encode()", "(sys.argv[1] + '/hidden.txt').encode()", StringComparison.Ordinal));
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("uring"), code, folder));

        var stdout = done.ContainerOutput!.Stdout;
        if (stdout.Contains("io_uring_setup refused", StringComparison.Ordinal))
        {
            // The sandbox refused io_uring (issue 19): nothing was read, so nothing may be reported either.
            Assert.True(done.State == TaskStates.Success, done.Output);
            return;
        }

        Assert.Contains("read through io_uring: hidden-uring-secret", stdout, StringComparison.Ordinal);
        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.TraceIncomplete, done.Reason);
        Assert.Contains($"/tmp/data/{folder}/hidden.txt", done.Output, StringComparison.Ordinal);
    }
}
