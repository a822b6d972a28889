using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox;

/// <summary>
/// Many files, each under the per-file limit, must not fill the host's disk: /tmp/out is its own size-limited
/// tmpfs (TASKER_WORK_SIZE_LIMIT).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class DiskFillTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_ManyFilesEachUnderFileSizeLimit_StopAtWorkSizeLimit()
    {
        var code = fixture.WriteCode(Unique("many-files"), """
            import errno, os
            written = 0
            outcome = 'no error'
            try:
                for i in range(64):
                    with open(f'/tmp/out/part{i}.bin', 'wb', buffering=0) as f:
                        for _ in range(4):
                            f.write(b'\0' * (1 << 20))
                            written += 1 << 20
            except OSError as e:
                outcome = errno.errorcode.get(e.errno, str(e.errno))
            total = sum(os.path.getsize('/tmp/out/' + n) for n in os.listdir('/tmp/out'))
            print('written', written, 'then', outcome, flush=True)
            print('total', total, flush=True)
            """);
        var data = fixture.WriteData(Unique("many-files") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_FILE_SIZE_LIMIT", "8m"), ("TASKER_WORK_SIZE_LIMIT", "32m")));

        var done = await tasker.RunAsync(new StartMessage(Unique("many-files"), code, data));

        // 64 × 4 MiB = 256 MiB were attempted, each file well under the 8 MiB per-file limit.
        Assert.Contains("then ENOSPC", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        var total = long.Parse(done.ContainerOutput.Stdout.Split("total ")[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(total, 1, 32L * 1024 * 1024);
        Assert.Equal(TaskStates.Success, done.State);
        Assert.Contains("execve(", done.ContainerOutput.Strace, StringComparison.Ordinal);
        // What fitted came back, within the work size limit; the tasker mounted nothing on the host.
        Assert.Equal(total, done.OutputFiles!.Sum(f => f.Size));
        Assert.DoesNotContain(tasker.Options.Sandbox.WorkRoot, await File.ReadAllTextAsync("/proc/mounts"), StringComparison.Ordinal);
        Assert.DoesNotContain(tasker.Options.Sandbox.ResultsRoot, await File.ReadAllTextAsync("/proc/mounts"), StringComparison.Ordinal);
    }
}
