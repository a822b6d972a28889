using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox;

/// <summary>
/// What the README's security model says of the IPC places: <c>/dev/shm</c> is the container's own 64 MiB
/// <c>noexec</c> tmpfs (gone with the container, never collected), POSIX message queues cannot be created.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SharedMemoryTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_CodeUsingDevShmAndPosixMessageQueues_ShmIsPrivateNoexec64MiBAndQueuesAreRefused()
    {
        var code = fixture.WriteCode(Unique("ipc"), """
            import ctypes, errno, os, shutil
            with open('/dev/shm/scratch', 'wb') as f:
                f.write(b's' * (1 << 20))
            print('shm bytes', os.path.getsize('/dev/shm/scratch'))
            vfs = os.statvfs('/dev/shm')
            print('shm size', vfs.f_blocks * vfs.f_frsize)
            shutil.copy('/bin/true', '/dev/shm/true')
            os.chmod('/dev/shm/true', 0o755)
            try:
                os.execv('/dev/shm/true', ['true'])
            except OSError as e:
                print('exec', errno.errorcode[e.errno])
            rt = ctypes.CDLL('librt.so.1', use_errno=True)
            rt.mq_open.restype = ctypes.c_int
            rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
            fd = rt.mq_open(b'/tasker-test', os.O_CREAT | os.O_RDWR, 0o600, None)
            print('mq_open', fd, errno.errorcode.get(ctypes.get_errno(), 'ok') if fd < 0 else 'ok')
            """);
        var data = fixture.WriteData(Unique("ipc") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("ipc"), code, data));

        Assert.Equal(TaskStates.Success, done.State);
        var stdout = done.ContainerOutput!.Stdout;
        Assert.Contains("shm bytes 1048576\n", stdout, StringComparison.Ordinal);
        Assert.Contains($"shm size {64 * 1024 * 1024}\n", stdout, StringComparison.Ordinal);
        Assert.Contains("exec EACCES\n", stdout, StringComparison.Ordinal);
        Assert.Contains("mq_open -1 EMFILE\n", stdout, StringComparison.Ordinal);
        // Nothing of /dev/shm is collected: it is gone with the container.
        Assert.Empty(done.OutputFiles!);
    }
}
