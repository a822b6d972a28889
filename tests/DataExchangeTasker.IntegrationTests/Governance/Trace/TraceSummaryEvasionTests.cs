using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Governance.Trace;

/// <summary>
/// Issue 19 rows 4 and 6, end to end through the tasker and a real runner container: each way of naming a data file
/// reads it (the code prints the content) and <c>traceSummary.dataRead</c> lists it; a run that opens no socket shows
/// no network attempt. The techniques that only the kernel's path of the descriptor reveals (a folder descriptor,
/// <c>/proc/self/fd</c>, a symlink, a relative name) need the runner's strace <c>-y</c> with the capability to read
/// <c>/proc/PID/fd</c> (<c>CAP_DAC_OVERRIDE</c>).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class TraceSummaryEvasionTests(TaskerFixture fixture)
{
    [Fact]
    public Task Run_OpenByProcSelfRoot_DataReadListsTheFile() =>
        AssertReadListedAsync("proc-root", "os.open('/proc/self/root' + data + '/secret.csv', os.O_RDONLY)");

    [Fact]
    public Task Run_OpenByProcSelfFdOfAFolderDescriptor_DataReadListsTheFile() =>
        AssertReadListedAsync("proc-fd", "os.open('/proc/self/fd/%d/secret.csv' % os.open(data, os.O_RDONLY | os.O_DIRECTORY), os.O_RDONLY)");

    [Fact]
    public Task Run_OpenThroughASymlinkInTmp_DataReadListsTheFile() =>
        AssertReadListedAsync("symlink", "os.symlink(data + '/secret.csv', '/tmp/innocent') or os.open('/tmp/innocent', os.O_RDONLY)");

    [Fact]
    public Task Run_OpenRelativeToAFolderDescriptor_DataReadListsTheFile() =>
        AssertReadListedAsync("dir-fd", "os.open('secret.csv', os.O_RDONLY, dir_fd=os.open(data, os.O_RDONLY | os.O_DIRECTORY))");

    [Fact]
    public Task Run_RelativeNameAfterChdir_DataReadListsTheFile() =>
        AssertReadListedAsync("chdir", "os.chdir(data) or os.open('secret.csv', os.O_RDONLY)");

    [Fact]
    public Task Run_ReadOnlyCreateOfAnExistingDataFile_DataReadListsTheFile() =>
        AssertReadListedAsync("creat", "os.open(data + '/secret.csv', os.O_RDONLY | os.O_CREAT, 0o644)");

    [Fact]
    public async Task Run_CodeOpeningNoSocket_NoNetworkAttemptAndTheNscdProbeIsAUnixSocketAttempt()
    {
        var code = fixture.WriteCode(Unique("no-socket"), "print('no socket')\n");
        var data = fixture.WriteData(Unique("no-socket") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("no-socket"), code, data));

        Assert.Equal(TaskStates.Success, done.State);
        var summary = done.TraceSummary!;
        Assert.Empty(summary.NetworkAttempts);
        // setpriv looks the code's user up through glibc, which probes nscd's socket first; there is none.
        Assert.NotEmpty(summary.UnixSocketAttempts);
        Assert.All(summary.UnixSocketAttempts, a => Assert.Equal(("AF_UNIX", "/var/run/nscd/socket", "ENOENT"), (a.Family, a.Address, a.Result)));
    }

    /// <summary>Runs code that opens the data file <c>secret.csv</c> by <paramref name="open"/> and prints what it read.</summary>
    private async Task AssertReadListedAsync(string technique, string open)
    {
        var folder = Unique("evade-" + technique);
        var content = "secret-" + Guid.NewGuid().ToString("N");
        fixture.WriteData($"{folder}/secret.csv", content);
        var code = fixture.WriteCode(Unique("evade-" + technique), $"""
            import os, sys
            data = sys.argv[1]
            fd = {open}
            print(os.read(fd, 200).decode())
            """);
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique(technique), code, folder));

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal(content + "\n", done.ContainerOutput!.Stdout);
        Assert.Contains($"{TraceSummaryBuilder.DataMount}/{folder}/secret.csv", done.TraceSummary!.DataRead);
        WitnessAssert.ListsAgree(done);
    }
}
