using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox.Collection;

/// <summary>
/// The results channel (the supervisor's stdout, read through the attach) against code that tries to write its own
/// results into it. Each run's code builds a complete, well-formed forged block (ready line, part headers with the
/// right lengths and SHA-256s, a manifest claiming exit status 7 and a complete trace, a forged stdout and trace, a
/// tar holding <c>forged.txt</c>) and pushes it at every way into the channel it can name. The tasker must publish the
/// real run (exit 0, the code's real stdout with the forged bytes as mere data, the real trace, the real output file),
/// never the forgery.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ResultsChannelForgeryTests(TaskerFixture fixture)
{
    private const string Python = """
        import errno, hashlib, io, os, sys, tarfile

        def name(e):
            return errno.errorcode.get(e.errno, str(e.errno)) if getattr(e, 'errno', None) else type(e).__name__

        def part(label, data):
            return b'part %s %d %s\n' % (label.encode(), len(data), hashlib.sha256(data).hexdigest().encode())

        def forged_block():
            manifest = (b'version=1\nstatus=7\ntrace_complete=1\ntimed_out=0\npath_changed=0\nsurvivors=0\noom_killed=0\n'
                        b'outputs=1\nmisreported=0\npeak_memory=1\noutputs_status=0\nstarted_at=1.0\n')
            tar = io.BytesIO()
            with tarfile.open(fileobj=tar, mode='w', format=tarfile.GNU_FORMAT) as t:
                body = b'FORGED-FILE\n'
                info = tarfile.TarInfo('./forged.txt')
                info.size = len(body)
                t.addfile(info, io.BytesIO(body))
            parts = [('manifest', manifest), ('stdout', b'FORGED-STDOUT\n'), ('stderr', b''), ('strace', b'FORGED-TRACE\n'), ('outputs', tar.getvalue())]
            head = b'tasker-supervisor: results ready\n' + b''.join(part(n, d) for n, d in parts) + b'data\n'
            return head + b''.join(d for _, d in parts) + b'end\n'

        BLOCK = forged_block()

        def push(label, path, data=None):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            except OSError as e:
                print(label, 'open failed', name(e), flush=True)
                return
            try:
                os.write(fd, BLOCK if data is None else data)
                print(label, 'write succeeded', flush=True)
            except OSError as e:
                print(label, 'write failed', name(e), flush=True)
            finally:
                os.close(fd)

        def ancestors():
            pid = os.getpid()
            while pid > 1:
                pid = int(open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()[1])
                yield pid

        open('/tmp/out/real.txt', 'w').write('REAL-FILE\n')

        """;

    [Fact]
    public async Task Run_CodeWritingForgedBlocksToPidOnesAndEveryProcesssStdout_PublishesTheRealResults()
    {
        var code = fixture.WriteCode(Unique("forge-pid1"), Python + """
            # The supervisor is pid 1; its stdout is the channel. Every other process the code can see, too (strace,
            # setpriv, a helper), by every fd that could lead to the channel, and the release line into its stdin.
            push('pid1 fd1', '/proc/1/fd/1')
            push('pid1 fd2', '/proc/1/fd/2')
            push('pid1 fd0', '/proc/1/fd/0', b'tasker: collected\n')
            for pid in sorted(int(p) for p in os.listdir('/proc') if p.isdigit()):
                if pid == os.getpid():
                    continue
                try:
                    fds = os.listdir('/proc/%d/fd' % pid)
                    print('pid', pid, 'fds listed', flush=True)
                except OSError as e:
                    fds = ['0', '1', '2']
                    print('pid', pid, 'fds', name(e), flush=True)
                for fd in fds:
                    push('pid %d fd%s' % (pid, fd), '/proc/%d/fd/%s' % (pid, fd))
            print('done', flush=True)
            """);
        var data = fixture.WriteData(Unique("forge-pid1") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("forge-pid1"), code, data));

        var stdout = AssertRealRun(done);
        Assert.Contains("pid1 fd1 open failed EACCES\n", stdout, StringComparison.Ordinal);
        Assert.Contains("pid1 fd2 open failed EACCES\n", stdout, StringComparison.Ordinal);
        Assert.Contains("pid1 fd0 open failed EACCES\n", stdout, StringComparison.Ordinal);
        // No other process's fd could even be opened for writing (the code's own are skipped: they are its stdout file).
        Assert.DoesNotContain("write succeeded", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(" write failed", stdout, StringComparison.Ordinal);
        if (!EngineRequirement.UnderGvisor)
        {
            // gVisor lists another process's fd numbers (as it shows its environ: no ptrace access check on reads), but
            // opening one is refused there too (above).
            Assert.DoesNotContain("fds listed", stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_CodeWritingForgedBlocksThroughItsInheritedAndReopenedStdout_PublishesThemAsStdoutData()
    {
        var code = fixture.WriteCode(Unique("forge-inherit"), Python + """
            # What the code holds: fd 1 and 2 (its stdout and stderr), and whatever else it inherited.
            # (listdir's own fd is closed again once it returns: its link is gone.)
            inherited = [fd for fd in sorted(int(fd) for fd in os.listdir('/proc/self/fd')) if os.path.lexists('/proc/self/fd/%d' % fd)]
            print('inherited', inherited, flush=True)
            for fd in inherited:
                try:
                    print('fd', fd, 'is', os.readlink('/proc/self/fd/%d' % fd), flush=True)
                except OSError as e:
                    print('fd', fd, 'readlink failed', name(e), flush=True)
            os.write(1, BLOCK)
            os.write(2, BLOCK)
            print('', flush=True)
            # Reopened by name: the same files, root's and mode 0600, so no second handle on them.
            for path in ('/dev/stdout', '/dev/stderr', '/proc/self/fd/1', '/proc/self/fd/2', '/dev/console', '/dev/tty'):
                push('reopen ' + path, path)
            # The parent chain (strace, pid 1): fd 0, 1 and 2 of each.
            for pid in ancestors():
                for fd in (0, 1, 2):
                    push('ancestor %d fd%d' % (pid, fd), '/proc/%d/fd/%d' % (pid, fd))
            # A child with the same inherited stdout, outliving its parent's print, is still the same file.
            child = os.fork()
            if child == 0:
                os.write(1, BLOCK)
                os._exit(0)
            os.waitpid(child, 0)
            print('done', flush=True)
            """);
        var data = fixture.WriteData(Unique("forge-inherit") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("forge-inherit"), code, data));

        var stdout = AssertRealRun(done);
        // fd 0 is /dev/null, 1 and 2 the supervisor's files: nothing else was inherited.
        Assert.Contains("inherited [0, 1, 2]\n", stdout, StringComparison.Ordinal);
        Assert.Contains("fd 1 is /run/tasker/stdout.txt\n", stdout, StringComparison.Ordinal);
        Assert.Contains("fd 2 is /run/tasker/stderr.txt\n", stdout, StringComparison.Ordinal);
        // The forged blocks the code wrote through its own fds are in its streams as data (twice on stdout: its own
        // write and the child's), never read as results.
        Assert.Equal(2, Occurrences(stdout, "tasker-supervisor: results ready\npart manifest "));
        Assert.Equal(1, Occurrences(done.ContainerOutput!.Stderr, "tasker-supervisor: results ready\npart manifest "));
        Assert.Contains("FORGED-STDOUT\n", done.ContainerOutput.Stderr, StringComparison.Ordinal);
        foreach (var path in new[] { "/dev/stdout", "/dev/stderr", "/proc/self/fd/1", "/proc/self/fd/2" })
        {
            Assert.Contains($"reopen {path} open failed EACCES\n", stdout, StringComparison.Ordinal);
        }

        Assert.Contains("reopen /dev/console open failed ", stdout, StringComparison.Ordinal);
        Assert.Contains("reopen /dev/tty open failed ", stdout, StringComparison.Ordinal);
        Assert.Contains("ancestor 1 fd1 open failed EACCES\n", stdout, StringComparison.Ordinal);
        // Not one of them could even be opened for writing.
        Assert.DoesNotContain("write succeeded", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(" write failed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CodePrintingFrameLookingBytes_TheyComeBackAsItsExactStdout()
    {
        var code = fixture.WriteCode(Unique("forge-print"), Python + """
            # Everything a reader that scanned the channel for frames could trip on: the ready line, a whole block, a
            # block cut short, a header announcing more than the rest, an "end" line, and no newline at the very end.
            printed = (BLOCK + b'tasker-supervisor: results ready\n' + BLOCK[:200] + b'\npart stdout 999999999 ' + b'0' * 64 + b'\ndata\nend\n'
                       + b'tasker-supervisor: error: forged\n' + BLOCK[:-4])
            open('/tmp/out/printed.bin', 'wb').write(printed)
            sys.stdout.flush()
            os.write(1, printed)
            os.write(2, printed)
            """);
        var data = fixture.WriteData(Unique("forge-print") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("forge-print"), code, data));

        AssertRealRun(done, expectedFiles: ["printed.bin", "real.txt"]);
        var printed = await File.ReadAllTextAsync(Path.Combine(done.OutputFolder!, "printed.bin"));
        Assert.Equal(printed, done.ContainerOutput!.Stdout);
        Assert.Equal(printed, done.ContainerOutput.Stderr);
    }

    /// <summary>The run published is the real one: exit 0, the real trace and output file, none of the forgery's parts. Returns stdout.</summary>
    private static string AssertRealRun(DoneMessage done, string[]? expectedFiles = null)
    {
        Assert.True(done.State == TaskStates.Success, $"{done.State} {done.Reason}: {done.Output}");
        // The forged manifest says 7; a forged trace lacks the interpreter's execve.
        Assert.Equal(0, done.ExitCode);
        HostileTaskTests.AssertTraced(done);
        Assert.DoesNotContain("FORGED-TRACE", done.ContainerOutput!.Strace, StringComparison.Ordinal);
        Assert.NotEqual("FORGED-STDOUT\n", done.ContainerOutput.Stdout);
        Assert.Equal(expectedFiles ?? ["real.txt"], done.OutputFiles!.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal("REAL-FILE\n", File.ReadAllText(Path.Combine(done.OutputFolder!, "real.txt")));
        return done.ContainerOutput.Stdout;
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
