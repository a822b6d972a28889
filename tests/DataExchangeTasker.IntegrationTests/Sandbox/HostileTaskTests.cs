using System.Diagnostics;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox;

/// <summary>
/// Hostile Python tasks, one per containment the sandbox promises. The code prints what it tried and what
/// happened; each test fails if the attack got through (or if the tasker lost the task's answer).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class HostileTaskTests(TaskerFixture fixture)
{
    private const string Python = """
        import errno, os, sys

        def name(e):
            return errno.errorcode.get(e.errno, str(e.errno)) if getattr(e, 'errno', None) else type(e).__name__

        def attempt(label, action):
            try:
                action()
                print(label, 'succeeded', flush=True)
            except OSError as e:
                print(label, 'failed', name(e), flush=True)

        """;

    [Fact]
    public async Task Run_CodeOpeningTcpAndUdpConnections_CannotReachAnyNetwork()
    {
        var code = fixture.WriteCode(Unique("net"), Python + """
            import socket

            def connect(kind, host, port):
                s = socket.socket(socket.AF_INET, kind)
                s.settimeout(5)
                try:
                    s.connect((host, port))
                    if kind == socket.SOCK_DGRAM:
                        s.send(b'x')
                        s.recv(1)
                finally:
                    s.close()

            attempt('tcp 1.1.1.1:53', lambda: connect(socket.SOCK_STREAM, '1.1.1.1', 53))
            attempt('tcp 172.17.0.1:2375', lambda: connect(socket.SOCK_STREAM, '172.17.0.1', 2375))
            attempt('udp 1.1.1.1:53', lambda: connect(socket.SOCK_DGRAM, '1.1.1.1', 53))
            attempt('dns example.com', lambda: socket.getaddrinfo('example.com', 80))
            attempt('unix docker.sock', lambda: socket.socket(socket.AF_UNIX).connect('/var/run/docker.sock'))
            print('interfaces', ','.join(sorted(os.listdir('/sys/class/net'))))
            """);
        var data = fixture.WriteData(Unique("net") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("net"), code, data));

        Assert.Equal(TaskStates.Success, done.State);
        var stdout = done.ContainerOutput!.Stdout;
        foreach (var target in new[] { "tcp 1.1.1.1:53", "tcp 172.17.0.1:2375", "udp 1.1.1.1:53", "dns example.com", "unix docker.sock" })
        {
            Assert.Contains(target + " failed ", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(target + " succeeded", stdout, StringComparison.Ordinal);
        }

        // NetworkMode none: the only interface is loopback, so there is no route anywhere.
        Assert.Contains("interfaces lo\n", stdout, StringComparison.Ordinal);
        Assert.Contains("connect(", done.ContainerOutput.Strace, StringComparison.Ordinal);
        AssertTraced(done);
    }

    [Fact]
    public async Task Run_CodeWritingIntoCodeAndDataMounts_FailsReadOnlyAndHostFilesAreUnchanged()
    {
        // World-writable on the host, so only the read-only bind mounts stand in the way (not file permissions).
        var codeName = Unique("ro-code");
        const string RunPy = Python + """
            code_dir = os.path.dirname(os.path.abspath(__file__))
            data_dir = sys.argv[1]
            victim = os.path.join(data_dir, 'victim.txt')

            def write(path, mode):
                with open(path, mode) as f:
                    f.write('pwned')

            attempt('data overwrite', lambda: write(victim, 'w'))
            attempt('data append', lambda: write(victim, 'a'))
            attempt('data create', lambda: write(os.path.join(data_dir, 'new.txt'), 'w'))
            attempt('data unlink', lambda: os.remove(victim))
            attempt('data rename', lambda: os.rename(victim, victim + '.moved'))
            attempt('data chmod', lambda: os.chmod(victim, 0o777))
            attempt('code overwrite', lambda: write(os.path.abspath(__file__), 'w'))
            attempt('code create', lambda: write(os.path.join(code_dir, 'new.py'), 'w'))
            attempt('code mkdir', lambda: os.mkdir(os.path.join(code_dir, 'sub')))
            """;
        fixture.WriteCode(codeName, RunPy);
        var codeDir = Path.Combine(fixture.CodeRoot, codeName);
        var dataName = Unique("ro-data");
        var dataDir = Path.Combine(fixture.DataRoot, dataName);
        Directory.CreateDirectory(dataDir);
        File.WriteAllText(Path.Combine(dataDir, "victim.txt"), "original");
        foreach (var dir in new[] { codeDir, dataDir })
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0x1FF); // 0777
            foreach (var file in Directory.GetFiles(dir))
            {
                File.SetUnixFileMode(file, (UnixFileMode)0x1B6); // 0666
            }
        }

        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("ro"), codeName, dataName));

        Assert.Equal(TaskStates.Success, done.State);
        var stdout = done.ContainerOutput!.Stdout;
        // gVisor checks ownership and permissions (the snapshot is root's, 0644/0755) before the read-only mount, so
        // some refusals there are EPERM/EACCES rather than EROFS. Refused either way.
        var gvisor = EngineRequirement.UnderGvisor;
        foreach (var (action, errno) in new[]
        {
            ("data overwrite", "EROFS"), ("data append", "EROFS"), ("data create", "EROFS"), ("data unlink", "EROFS"), ("data rename", "EROFS"),
            ("data chmod", gvisor ? "EPERM" : "EROFS"), ("code overwrite", gvisor ? "EACCES" : "EROFS"), ("code create", gvisor ? "EACCES" : "EROFS"),
            ("code mkdir", "EROFS"),
        })
        {
            Assert.True(stdout.Contains($"{action} failed {errno}\n", StringComparison.Ordinal), stdout);
        }

        Assert.Equal("original", File.ReadAllText(Path.Combine(dataDir, "victim.txt")));
        Assert.Equal(["victim.txt"], Directory.GetFileSystemEntries(dataDir).Select(f => Path.GetFileName(f)).ToArray());
        Assert.Equal(RunPy, File.ReadAllText(Path.Combine(codeDir, "run.py")));
        Assert.Equal(["run.py"], Directory.GetFileSystemEntries(codeDir).Select(f => Path.GetFileName(f)).ToArray());
        AssertTraced(done);
    }

    [Fact]
    public async Task Run_ForkBomb_StopsAtPidsLimitAndTheTaskerKeepsWorking()
    {
        var code = fixture.WriteCode(Unique("forkbomb"), Python + """
            import mmap, time

            def read(path):
                try:
                    with open(path) as f:
                        return f.read().strip()
                except OSError as e:
                    return 'unreadable ' + name(e)

            pids_max = '/sys/fs/cgroup/pids/pids.max' if os.path.exists('/sys/fs/cgroup/pids/pids.max') else '/sys/fs/cgroup/pids.max'
            print('pids.max', read(pids_max), flush=True)
            main = os.getpid()
            # Every process bombs until the first process's own fork fails (a flag in memory they all share), or
            # 15 s: under gVisor and strace on a loaded host a fork can take half a second, and a fixed 4 s bomb
            # once ended before it filled the limit.
            over = mmap.mmap(-1, 1)
            deadline = time.monotonic() + 15
            forks = eagain = 0
            while time.monotonic() < deadline and over[0] == 0:
                try:
                    pid = os.fork()
                except OSError as e:
                    if os.getpid() == main and eagain == 0:
                        print('main fork failed', name(e), 'after', forks, 'forks in', round(time.monotonic() - deadline + 15, 1), 's', flush=True)
                        over[0] = 1
                    eagain += 1
                    time.sleep(0.02)
                    continue
                if pid == 0:
                    forks = eagain = 0  # every child keeps bombing until the deadline
                else:
                    forks += 1
            if os.getpid() != main:
                os._exit(0)
            while True:
                try:
                    os.wait()
                except ChildProcessError:
                    break
            print('bomb over: forks', forks, 'failures', eagain, 'after', round(time.monotonic() - deadline + 15, 1), 's', flush=True)
            """);
        var data = fixture.WriteData(Unique("forkbomb") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_PIDS_LIMIT", "64")));

        var done = await tasker.RunAsync(new StartMessage(Unique("forkbomb"), code, data, Limits: new TaskLimits(TimeoutSeconds: 30)), TimeSpan.FromSeconds(150));

        // It ended (by itself, or killed at its time limit); either way it never got past the cgroup's pids limit
        // (under gVisor, RLIMIT_NPROC inside the sandbox, which has no pids cgroup file to read).
        Assert.True(done.State == TaskStates.Success || done.Reason == Reasons.Timeout, $"{done.State}/{done.Reason}: {done.Output}");
        var stdout = done.ContainerOutput!.Stdout;
        Assert.Contains(EngineRequirement.UnderGvisor ? "pids.max unreadable" : "pids.max 64\n", stdout, StringComparison.Ordinal);
        // The whole stdout on failure: it says how many forks the first process made in how long.
        Assert.True(stdout.Contains("main fork failed EAGAIN", StringComparison.Ordinal), stdout);
        Assert.Contains("= -1 EAGAIN", done.ContainerOutput.Strace, StringComparison.Ordinal);
        AssertTraced(done);

        // The host and the tasker are fine: the next task runs normally.
        var normal = await tasker.RunAsync(new StartMessage(Unique("after-bomb"), fixture.WriteCode(Unique("after-bomb"), "print('still fine')\n"), data));
        Assert.Equal(TaskStates.Success, normal.State);
        Assert.Equal("still fine\n", normal.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_AllocatingBeyondMemoryLimit_EndsErrorOom()
    {
        var code = fixture.WriteCode(Unique("oom"), """
            chunks = []
            for i in range(512):
                chunks.append(bytearray(b'\x01') * (1 << 20))  # 1 MiB, every page touched
                if i % 8 == 0:
                    print('allocated MiB', i + 1, flush=True)
            print('allocated all 512 MiB', flush=True)
            """);
        var data = fixture.WriteData(Unique("oom") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_MEMORY_LIMIT", "64m")));

        var done = await tasker.RunAsync(new StartMessage(Unique("oom"), code, data, Limits: new TaskLimits(TimeoutSeconds: 60)), TimeSpan.FromSeconds(150));

        Assert.True(done.State == TaskStates.Error && done.Reason == Reasons.Oom, $"{done.State}/{done.Reason}: {done.Output}");
        Assert.Equal("SIGKILL", done.Signal);
        if (EngineRequirement.UnderGvisor)
        {
            // The limit holds gVisor's own kernel too: the host's OOM killer ends the whole sandbox, and the results it
            // held in memory with it.
            Assert.Null(done.ContainerOutput);
            return;
        }

        Assert.Contains("allocated MiB 1\n", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("allocated all", done.ContainerOutput.Stdout, StringComparison.Ordinal);
        AssertTraced(done);
    }

    [Fact]
    public async Task Run_WritingHugeFilesIntoOut_StopsAtFileSizeLimit()
    {
        const long Limit = 8 * 1024 * 1024;
        var code = fixture.WriteCode(Unique("fsize"), Python + """
            import time

            def fill():
                with open('/tmp/out/big.bin', 'wb', buffering=0) as f:
                    chunk = b'\0' * (1 << 20)
                    for _ in range(1024):  # up to 1 GiB
                        f.write(chunk)

            def sparse():
                with open('/tmp/out/sparse.bin', 'wb') as f:
                    f.seek(100 << 20)
                    f.write(b'x')

            def grow():
                with open('/tmp/out/trunc.bin', 'wb') as f:
                    f.truncate(1 << 30)

            attempt('fill', fill)
            attempt('sparse', sparse)
            attempt('truncate', grow)
            for n in ('big.bin', 'sparse.bin', 'trunc.bin'):
                print('size', n, os.path.getsize('/tmp/out/' + n), flush=True)
            """);
        var data = fixture.WriteData(Unique("fsize") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_FILE_SIZE_LIMIT", "8m")));
        var taskId = Unique("fsize");
        var done = await tasker.RunAsync(new StartMessage(taskId, code, data, Limits: new TaskLimits(TimeoutSeconds: 60)), TimeSpan.FromSeconds(150));

        Assert.Equal(TaskStates.Success, done.State);
        var stdout = done.ContainerOutput!.Stdout;
        Assert.Contains("fill failed EFBIG\n", stdout, StringComparison.Ordinal);
        Assert.Contains("sparse failed EFBIG\n", stdout, StringComparison.Ordinal);
        Assert.Contains("truncate failed EFBIG\n", stdout, StringComparison.Ordinal);
        Assert.Contains($"size big.bin {Limit}\n", stdout, StringComparison.Ordinal);
        Assert.Contains("size sparse.bin 0\n", stdout, StringComparison.Ordinal);
        Assert.Contains("size trunc.bin 0\n", stdout, StringComparison.Ordinal);
        // What comes back is what the container held: no stored output file passes the limit either.
        Assert.Equal(Limit, done.OutputFiles!.Single(f => f.Path == "big.bin").Size);
        Assert.All(done.OutputFiles!, f => Assert.True(f.Size <= Limit, $"{f.Path} is {f.Size} bytes"));
        AssertTraced(done);
    }

    [Fact]
    public async Task Run_Printing200MegabytesToStdout_TruncatesAtOutputLimitWithBoundedTaskerMemory()
    {
        const int Limit = 64 * 1024;
        var code = fixture.WriteCode(Unique("flood"), """
            import sys
            block = ('y' * 1023 + '\n') * 1024  # 1 MiB
            for _ in range(200):
                sys.stdout.write(block)
            sys.stdout.flush()
            print('flood over', file=sys.stderr)
            """);
        var data = fixture.WriteData(Unique("flood") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_OUTPUT_LIMIT", "64k")));
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var peakBefore = PeakWorkingSet();

        var done = await tasker.RunAsync(new StartMessage(Unique("flood"), code, data, Limits: new TaskLimits(TimeoutSeconds: 120)), TimeSpan.FromSeconds(180));

        var peakGrowth = PeakWorkingSet() - peakBefore;
        var managedGrowth = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
        Assert.Equal(TaskStates.Success, done.State);
        Assert.True(done.Truncated!.Stdout);
        Assert.False(done.Truncated.Stderr);
        Assert.InRange(done.ContainerOutput!.Stdout.Length, Limit - 1024, Limit);
        Assert.StartsWith(new string('y', 1023) + "\n", done.ContainerOutput.Stdout, StringComparison.Ordinal);
        Assert.Equal("flood over\n", done.ContainerOutput.Stderr);
        Assert.True(managedGrowth <= 64L << 20, $"managed memory grew by {managedGrowth} bytes");
        Assert.True(peakGrowth <= 64L << 20, $"peak working set grew by {peakGrowth} bytes");
        AssertTraced(done);
    }

    [Fact]
    public async Task Run_SleepingPastTimeout_EndsErrorTimeoutWithPartialStdoutAndSigkill()
    {
        var code = fixture.WriteCode(Unique("sleep"), """
            import subprocess
            print('going to sleep', flush=True)
            subprocess.run(['sleep', '3600'])
            print('woke up', flush=True)
            """);
        var data = fixture.WriteData(Unique("sleep") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        // 8 s: under gVisor every syscall stops at strace, and on a loaded 2-core host Python took more than 3 s to
        // reach its first print (the stdout assertion then saw nothing: a race with start-up, not with the timeout).
        var done = await tasker.RunAsync(new StartMessage(Unique("sleep"), code, data, Limits: new TaskLimits(TimeoutSeconds: 8)));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Timeout, done.Reason);
        Assert.Equal("SIGKILL", done.Signal);
        Assert.Equal(137, done.ExitCode);
        Assert.Equal("going to sleep\n", done.ContainerOutput!.Stdout);
        Assert.Contains("execve(\"/usr/bin/sleep\"", done.ContainerOutput.Strace, StringComparison.Ordinal);
        AssertTraced(done);
        // The container (and the sleep in it) is gone once the answer is out.
        await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Count == 0, TimeSpan.FromSeconds(60), "the timed-out container to be removed");
    }

    [Fact]
    public async Task Run_CodeInspectingItsOwnConfinement_SeesNoCapabilitiesNoNewPrivsItsUidAndNoDockerSocket()
    {
        var code = fixture.WriteCode(Unique("confine"), Python + """
            import pwd, shutil, subprocess
            status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines() if ':' in line)
            for key in ('CapEff', 'CapPrm', 'CapInh', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp', 'Seccomp_filters'):
                print(key, status.get(key, 'missing').strip())
            import ctypes
            libc = ctypes.CDLL(None)
            print('prctl no_new_privs', libc.prctl(39, 0, 0, 0, 0))  # PR_GET_NO_NEW_PRIVS
            print('uid', os.getuid(), os.geteuid(), 'gid', os.getgid(), os.getegid())
            attempt('read supervisor', lambda: open('/proc/1/environ').read())
            attempt('reopen trace', lambda: open('/proc/%d/fd/3' % os.getppid()).read())  # strace's -o file
            for sock in ('/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock'):
                print('exists', sock, os.path.exists(sock))
            attempt('rootfs write', lambda: open('/etc/pwned', 'w'))
            attempt('setuid', lambda: os.setuid(0))
            shutil.copy('/bin/true', '/tmp/planted')
            os.chmod('/tmp/planted', 0o755)
            attempt('tmp exec', lambda: subprocess.run(['/tmp/planted']))
            """);
        var data = fixture.WriteData(Unique("confine") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("confine"), code, data));

        Assert.Equal(TaskStates.Success, done.State);
        var stdout = done.ContainerOutput!.Stdout;
        Assert.Contains("CapEff 0000000000000000\n", stdout, StringComparison.Ordinal);
        Assert.Contains("CapPrm 0000000000000000\n", stdout, StringComparison.Ordinal);
        Assert.Contains("CapInh 0000000000000000\n", stdout, StringComparison.Ordinal);
        // The bounding set is the supervisor's (SYS_PTRACE, SETUID, SETGID, DAC_READ_SEARCH); without effective or
        // permitted capabilities and with no-new-privileges the code can never raise them.
        Assert.Contains("CapBnd 00000000000800c4\n", stdout, StringComparison.Ordinal);
        Assert.Contains("prctl no_new_privs 1\n", stdout, StringComparison.Ordinal);
        if (!EngineRequirement.UnderGvisor)
        {
            // gVisor's /proc/self/status has no CapAmb, NoNewPrivs or Seccomp_filters lines.
            Assert.Contains("CapAmb 0000000000000000\n", stdout, StringComparison.Ordinal);
            Assert.Contains("NoNewPrivs 1\n", stdout, StringComparison.Ordinal);
            Assert.Contains("Seccomp 2\n", stdout, StringComparison.Ordinal);
            // The tasker's profile (the engine loads it), strace's --seccomp-bpf filter and the code's own filter.
            Assert.Contains("Seccomp_filters 3\n", stdout, StringComparison.Ordinal);
        }

        Assert.Contains("uid 64000 64000 gid 64000 64000\n", stdout, StringComparison.Ordinal);
        // gVisor lets any process read another's /proc/<pid>/environ (no ptrace access check there; the supervisor's
        // environment holds no secret); the trace stays closed on both.
        Assert.Contains(EngineRequirement.UnderGvisor ? "read supervisor succeeded\n" : "read supervisor failed EACCES\n", stdout, StringComparison.Ordinal);
        Assert.Contains("reopen trace failed EACCES\n", stdout, StringComparison.Ordinal);
        Assert.Contains("exists /var/run/docker.sock False\n", stdout, StringComparison.Ordinal);
        Assert.Contains("exists /run/docker.sock False\n", stdout, StringComparison.Ordinal);
        Assert.Contains("exists /run/containerd/containerd.sock False\n", stdout, StringComparison.Ordinal);
        Assert.Contains("rootfs write failed " + (EngineRequirement.UnderGvisor ? "EACCES" : "EROFS") + "\n", stdout, StringComparison.Ordinal);
        Assert.Contains("setuid failed EPERM\n", stdout, StringComparison.Ordinal);
        Assert.Contains("tmp exec failed EACCES\n", stdout, StringComparison.Ordinal);
        Assert.Contains("execve(\"/tmp/planted\"", done.ContainerOutput.Strace, StringComparison.Ordinal);
        AssertTraced(done);
    }

    /// <summary>strace kept working under the sandbox's settings: the trace shows the code's own start.</summary>
    internal static void AssertTraced(DoneMessage done)
    {
        Assert.NotNull(done.ContainerOutput);
        Assert.Contains("execve(\"/usr/bin/python\"", done.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    internal static string PythonString(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private static long PeakWorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
