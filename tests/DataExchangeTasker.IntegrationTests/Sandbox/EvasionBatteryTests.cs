using System.Text.RegularExpressions;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;
using TaskerSettings = DataExchangeTasker.Configuration.Settings;

namespace DataExchangeTasker.IntegrationTests.Sandbox;

/// <summary>
/// The evasion battery (issue 19): code that tries to read its data without the trace showing it, one test per way
/// found. Each test ends in one of two outcomes: the data file is in <c>traceSummary.dataRead</c>, or the attempt
/// was refused, the refusal is in the raw trace, and the private content never reached stdout (or, where gVisor
/// misreports, the run is <c>trace_incomplete</c>, never a success). Rows 4 and 6 of the issue (path forms, AF_UNIX)
/// are unit tests of the trace summary. scripts/test.sh runs the battery twice: under runc and under gVisor
/// (<c>TASKER_TEST_RUNTIME=runsc</c>); the runsc rows ask for runsc themselves.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class EvasionBatteryTests(TaskerFixture fixture)
{
    /// <summary>Raw syscalls through ctypes, and io_uring done by hand: all it takes is the standard library.</summary>
    private const string Syscalls = """
        import ctypes, errno, mmap, os, signal, struct, sys

        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        MAP_SHARED, MAP_PRIVATE, MAP_ANON, MAP_POPULATE, MAP_32BIT = 0x01, 0x02, 0x20, 0x8000, 0x40
        RW = mmap.PROT_READ | mmap.PROT_WRITE

        def name(code):
            return errno.errorcode.get(code, str(code))

        def native(nr, *args):
            r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
            return r if r >= 0 else -ctypes.get_errno()

        def i386(nr, *args):
            # int 0x80 from this 64-bit process: the kernel runs it as an i386 syscall (its own table, its own
            # seccomp architecture). Arguments are 32-bit, so every pointer passed comes from low_alloc.
            code = bytes.fromhex('53' '89f8' '89f3' '4989ca' '89d1' '4489d2' '4489c6' '4489cf' 'cd80' '5b' '4898' 'c3')
            page = libc.mmap(None, 4096, 7, MAP_PRIVATE | MAP_ANON, -1, 0)
            ctypes.memmove(page, code, len(code))
            return ctypes.CFUNCTYPE(ctypes.c_long, *[ctypes.c_long] * 6)(page)(nr, *(list(args) + [0] * (5 - len(args))))

        def low_alloc(size):
            return libc.mmap(None, size, RW, MAP_PRIVATE | MAP_ANON | MAP_32BIT, -1, 0)

        def uring_read(path, call=native):
            # io_uring_setup, the rings mapped by hand, then IORING_OP_OPENAT (18) and IORING_OP_READ (22).
            params = low_alloc(4096)
            fd = call(425, 8, params)
            if fd < 0:
                return 'io_uring_setup failed ' + name(-fd)
            p = (ctypes.c_uint32 * 30).from_address(params)
            sq_entries, cq_entries, features = p[0], p[1], p[5]
            sq_head, sq_tail, sq_mask, sq_array = p[10], p[11], p[12], p[16]
            cq_head, cq_mask, cq_cqes = p[20], p[22], p[25]
            size = max(sq_array + sq_entries * 4, cq_cqes + cq_entries * 16)
            sq = libc.mmap(None, size, RW, MAP_SHARED | MAP_POPULATE, fd, 0)
            cq = sq if features & 1 else libc.mmap(None, size, RW, MAP_SHARED | MAP_POPULATE, fd, 0x8000000)
            sqes = libc.mmap(None, sq_entries * 64, RW, MAP_SHARED | MAP_POPULATE, fd, 0x10000000)
            u32 = lambda base, off: ctypes.c_uint32.from_address(base + off)

            def submit(opcode, target, addr, length, op_flags=0):
                tail = u32(sq, sq_tail).value
                index = tail & u32(sq, sq_mask).value
                ctypes.memmove(sqes + index * 64, struct.pack('<BBHiQQIIQHHiQQ', opcode, 0, 0, target, 0, addr, length, op_flags, 7, 0, 0, 0, 0, 0), 64)
                u32(sq, sq_array + index * 4).value = index
                u32(sq, sq_tail).value = tail + 1
                r = call(426, fd, 1, 1, 1, 0, 0)
                if r < 0:
                    raise OSError(-r, 'io_uring_enter')
                head = u32(cq, cq_head).value
                res = ctypes.c_int32.from_address(cq + cq_cqes + (head & u32(cq, cq_mask).value) * 16 + 8).value
                u32(cq, cq_head).value = head + 1
                return res

            path_buffer = low_alloc(4096)
            ctypes.memmove(path_buffer, path.encode() + b'\0', len(path) + 1)
            try:
                file = submit(18, -100, path_buffer, 0, os.O_RDONLY)
                if file < 0:
                    return 'IORING_OP_OPENAT failed ' + name(-file)
                buffer = low_alloc(4096)
                got = submit(22, file, buffer, 4096)
            except OSError as e:
                return 'io_uring_enter failed ' + name(e.errno)
            return 'read ' + ctypes.string_at(buffer, max(got, 0)).decode(errors='replace').strip()

        """;

    /// <summary>
    /// Row 3: a child strace does not follow (CLONE_UNTRACED, or clone3 with the same flag), PTRACE_SEIZEd by its
    /// parent with PTRACE_O_TRACESECCOMP: strace's seccomp stops then go to the code, which lets every call through.
    /// </summary>
    private const string UntracedChild = Syscalls + """
        CLONE_UNTRACED = 0x00800000
        target, how = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else 'clone'
        r, w = os.pipe()
        if how == 'clone3':
            args = ctypes.create_string_buffer(struct.pack('<11Q', CLONE_UNTRACED, 0, 0, 0, signal.SIGCHLD, 0, 0, 0, 0, 0, 0), 88)
            pid = native(435, ctypes.addressof(args), 88)
        else:
            pid = native(56, CLONE_UNTRACED | signal.SIGCHLD, 0, 0, 0, 0)
        if pid < 0:
            print(how, 'CLONE_UNTRACED failed', name(-pid), flush=True)
            sys.exit(0)
        if pid == 0:
            os.read(r, 1)
            with open(target) as f:
                print('child read', f.read().strip(), flush=True)
            os._exit(0)
        seized = native(101, 0x4206, pid, 0, 0x80)  # PTRACE_SEIZE, PTRACE_O_TRACESECCOMP
        print('ptrace seize', 'ok' if seized == 0 else 'failed ' + name(-seized), flush=True)
        os.write(w, b'x')
        while True:
            _, status = os.waitpid(pid, 0)
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                break
            stop = os.WSTOPSIG(status)
            native(101, 7, pid, 0, 0 if stop == signal.SIGTRAP or status >> 16 else stop)  # PTRACE_CONT
        """;

    [Fact]
    public async Task Run_Row1_CodeReadingDataThroughIoUring_IsRefusedInTheTraceAndReadsNothing()
    {
        var (data, marker) = PrivateData("uring");
        var code = fixture.WriteCode(Unique("uring"), Syscalls + """
            print('io_uring:', uring_read(sys.argv[1]), flush=True)
            """);

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        AssertRefused(done, "io_uring_setup", "io_uring: io_uring_setup failed EPERM\n");
    }

    [Fact]
    public async Task Run_CodeReadingDataThroughIoUringByInt0x80_IsRefusedInTheTraceAndReadsNothing()
    {
        var (data, marker) = PrivateData("uring-i386");
        var code = fixture.WriteCode(Unique("uring-i386"), Syscalls + """
            print('io_uring i386:', uring_read(sys.argv[1], i386), flush=True)
            """);

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        if (!EngineRequirement.UnderGvisor)
        {
            // The i386 table: strace decodes it in its 32-bit personality, the code filter has its own branch for it.
            AssertRefused(done, "io_uring_setup", "io_uring i386: io_uring_setup failed EPERM\n");
        }
        else
        {
            // gVisor runs no i386 syscalls at all (int 0x80 is not its ABI): nothing to refuse, nothing read.
            Assert.DoesNotContain("io_uring i386: read", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_Row2_CodeAnsweringItsOwnOpensThroughAUserNotificationFilter_IsRefusedInTheTraceAndReadsNothing()
    {
        var (data, marker) = PrivateData("notif");
        var code = fixture.WriteCode(Unique("notif"), Syscalls + """
            import threading
            # A second filter: SECCOMP_RET_USER_NOTIF for openat outranks strace's SECCOMP_RET_TRACE, and a thread
            # that is not under the filter answers each notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE.
            box, ready = {}, threading.Event()

            def answer():
                ready.wait()
                request = ctypes.create_string_buffer(80)
                while libc.ioctl(box['fd'], ctypes.c_ulong(0xc0502100), request) == 0:  # SECCOMP_IOCTL_NOTIF_RECV
                    reply = struct.pack('<QqiI', struct.unpack_from('<Q', request.raw)[0], 0, 0, 1)
                    libc.ioctl(box['fd'], ctypes.c_ulong(0xc0182101), ctypes.create_string_buffer(reply, 24))

            threading.Thread(target=answer, daemon=True).start()
            program = [(0x20, 0, 0, 4), (0x15, 0, 3, 0xc000003e), (0x20, 0, 0, 0), (0x15, 0, 1, 257),
                       (0x06, 0, 0, 0x7fc00000), (0x06, 0, 0, 0x7fff0000)]
            code = ctypes.create_string_buffer(b''.join(struct.pack('<HBBI', *i) for i in program))
            fprog = ctypes.create_string_buffer(struct.pack('<HxxxxxxQ', len(program), ctypes.addressof(code)))
            fd = native(317, 1, 8, ctypes.addressof(fprog))  # seccomp(SET_MODE_FILTER, FLAG_NEW_LISTENER)
            if fd < 0:
                print('seccomp listener failed', name(-fd), flush=True)
                sys.exit(0)
            box['fd'] = fd
            ready.set()
            with open(sys.argv[1]) as f:
                print('read', f.read().strip(), flush=True)
            """);

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        AssertRefused(done, "seccomp", "seccomp listener failed EPERM\n");
    }

    [Fact]
    public async Task Run_Row3_UntracedChildSeizedByTheCode_IsKilledBySigsysInTheTraceAndReadsNothing()
    {
        var (data, marker) = PrivateData("untraced");
        var code = fixture.WriteCode(Unique("untraced"), UntracedChild);

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        AssertKilledBySigsys(done, "clone");
    }

    [Fact]
    public async Task Run_Row3b_UntracedChildSeizedFromTheRImageThroughPerl_IsKilledBySigsysInTheTraceAndReadsNothing()
    {
        var (data, marker) = PrivateData("untraced-r");
        var codeName = Unique("untraced-r");
        var folder = Path.Combine(fixture.CodeRoot, codeName);
        Directory.CreateDirectory(folder);
        // The R image has no Python, but perl (Debian's perl-base) and its syscall().
        await File.WriteAllTextAsync(Path.Combine(folder, "run.R"), """
            script <- '
              my $target = shift;
              pipe(my $r, my $w) or die;
              my $pid = syscall(56, 0x00800000 | 17, 0, 0, 0, 0);
              if ($pid < 0) { print "clone CLONE_UNTRACED failed $!\n"; exit 0 }
              if ($pid == 0) { sysread($r, my $x, 1); open(my $f, "<", $target) or die "child open: $!"; print "child read ", <$f>; exit 0 }
              my $seized = syscall(101, 0x4206, $pid, 0, 0x80);
              print "ptrace seize ", ($seized == 0 ? "ok" : "failed $!"), "\n";
              syswrite($w, "x");
              while (1) {
                # wait4 by hand: perl waitpid reports a ptrace stop as status 0.
                my $status = pack("i", 0);
                last if syscall(61, $pid, $status, 0, 0) <= 0;
                my $s = unpack("i", $status);
                last if ($s & 0xff) != 0x7f;
                my $stop = ($s >> 8) & 0xff;
                syscall(101, 7, $pid, 0, ($stop == 5 || $s >> 16) ? 0 : $stop);
              }
            '
            args <- commandArgs(trailingOnly = TRUE)
            status <- system2("perl", c("-e", shQuote(script), shQuote(args[1])))
            cat("perl ended", status, "\n")
            """);
        var settings = new Dictionary<string, string?> { [TaskerSettings.Images.Name] = "r=" + EngineRequirement.RRunnerImage };

        var done = await RunAsync(codeName, data, settings, image: "r");

        AssertNotLeaked(done, marker);
        var trace = done.ContainerOutput!.Strace;
        Assert.Contains("si_syscall=__NR_clone,", trace, StringComparison.Ordinal);
        Assert.Matches(KilledBySigsys(), trace);
        // Rscript itself goes on: perl's death is an exit status of system2.
        Assert.Contains("perl ended", done.ContainerOutput.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CodeStartingAnUntracedChildWithClone3_FailsEnosysInTheTraceAndReadsNothing()
    {
        var (data, marker) = PrivateData("clone3");
        var code = fixture.WriteCode(Unique("clone3"), UntracedChild.Replace("sys.argv[2] if len(sys.argv) > 2 else 'clone'", "'clone3'", StringComparison.Ordinal));

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        Assert.Equal(TaskStates.Success, done.State);
        Assert.Contains("clone3 CLONE_UNTRACED failed ENOSYS\n", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        // clone3's flags are in memory no filter can read, so every clone3 fails ENOSYS (glibc falls back to clone);
        // strace shows which one asked for CLONE_UNTRACED.
        Assert.Matches(Clone3UntracedInjected(), done.ContainerOutput.Strace);
    }

    [Fact]
    public async Task Run_CodeLoadingAFilterWithPrctl_IsKilledBySigsysInTheTrace()
    {
        var (data, marker) = PrivateData("prctl");
        var code = fixture.WriteCode(Unique("prctl"), Syscalls + """
            allow = ctypes.create_string_buffer(struct.pack('<HBBI', 0x06, 0, 0, 0x7fff0000))
            fprog = ctypes.create_string_buffer(struct.pack('<HxxxxxxQ', 1, ctypes.addressof(allow)))
            r = native(157, 22, 2, ctypes.addressof(fprog))  # prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)
            print('prctl PR_SET_SECCOMP', 'ok' if r == 0 else 'failed ' + name(-r), flush=True)
            print(open(sys.argv[1]).read(), flush=True)
            """);

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        AssertKilledBySigsys(done, "prctl");
    }

    [Fact]
    public async Task Run_CodeCallingPtrace_IsRefusedInTheTrace()
    {
        var (data, marker) = PrivateData("ptrace");
        var code = fixture.WriteCode(Unique("ptrace"), Syscalls + """
            r = native(101, 0, 0, 0, 0)  # PTRACE_TRACEME
            print('ptrace TRACEME', 'ok' if r == 0 else 'failed ' + name(-r), flush=True)
            """);

        var done = await RunAsync(code, data);

        AssertNotLeaked(done, marker);
        AssertRefused(done, "ptrace", "ptrace TRACEME failed EPERM\n");
    }

    [Fact]
    public async Task Run_CodeSwappingThePathWhileItIsOpened_TheTraceNamesTheDataBehindEveryFdThatReadIt()
    {
        var (data, _) = PrivateData("race");
        // gVisor stops the code at every syscall (no seccomp stops there): fewer opens keep the test short.
        var opens = EngineRequirement.UnderGvisor ? 300 : 5000;
        var code = fixture.WriteCode(Unique("race"), Syscalls + $"OPENS = {opens}\n" + """
            import threading
            # strace reads the name at the syscall stop, the kernel reads it again afterwards: a thread flips it
            # between a decoy and the data file, so now and then the trace names the decoy (or half of each) for an
            # open that returned the data (about 2 in 1000 opens when measured).
            secret = sys.argv[1]
            decoy = '/tmp/out/' + 'd' * max(1, len(secret) - len('/tmp/out/'))
            open(decoy, 'w').write('decoy\n')
            a, b = decoy.encode() + b'\0', secret.encode() + b'\0'
            buffer = ctypes.create_string_buffer(a, max(len(a), len(b)))
            flipping = True

            def flip():
                while flipping:
                    ctypes.memmove(buffer, b, len(b))
                    ctypes.memmove(buffer, a, len(a))

            threading.Thread(target=flip, daemon=True).start()
            out = ctypes.create_string_buffer(4096)
            reads = 0
            for _ in range(OPENS):
                fd = libc.openat(-100, buffer, os.O_RDONLY)
                if fd < 0:
                    continue
                n = libc.read(fd, out, 4096)
                libc.close(fd)
                reads += out.raw[:n] != b'decoy\n'
            flipping = False
            print('data reads', reads, flush=True)
            """);

        var done = await RunAsync(code, data, timeout: TimeSpan.FromSeconds(180), witnessWithinTrace: true);

        Assert.True(done.State == TaskStates.Success, $"{done.State}/{done.Reason}: {done.Output} {done.ContainerOutput?.Stderr}");
        var reads = int.Parse(Regex.Match(done.ContainerOutput!.Stdout, @"data reads (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(reads > 0, "the flipping thread never got the data opened");
        Assert.False(done.Truncated!.Strace, "the trace was cut; every open must be in it");
        // Whatever name strace read, the file behind each returned fd (strace -y) is in the trace: exactly one
        // "= N</tmp/data/...>" line per open that read the data.
        var opened = new Regex($@"(?m)^\d+ +openat\(AT_FDCWD<[^>]*>, ""[^""]*"", O_RDONLY\) = \d+</tmp/data/{Regex.Escape(data)}>$");
        Assert.Equal(reads, opened.Count(done.ContainerOutput.Strace));
    }

    [Fact]
    public async Task Run_Row5_UnderGvisor_ReadsTheDataWithACompleteTraceAndDataRead()
    {
        var (data, marker) = PrivateData("runsc");
        // A second thread too: its start (clone3, then clone) is where gVisor used to lose strace's results.
        var code = fixture.WriteCode(Unique("runsc"), """
            import sys, threading
            box = {}
            reader = threading.Thread(target=lambda: box.update(text=open(sys.argv[1]).read().strip()))
            reader.start()
            reader.join()
            print(box['text'])
            """);
        var settings = new Dictionary<string, string?> { [TaskerSettings.Runtime.Name] = "runsc" };

        var done = await RunAsync(code, data, settings);

        Assert.True(done.State == TaskStates.Success, $"{done.State}/{done.Reason}: {done.Output}");
        Assert.Equal(marker + "\n", done.ContainerOutput!.Stdout);
        Assert.Contains("/tmp/data/" + data, done.TraceSummary!.DataRead);
        Assert.Matches(
            new Regex($@"(?m)^\d+ +openat\(AT_FDCWD<[^>]*>, ""/tmp/data/{Regex.Escape(data)}"", O_RDONLY\|O_CLOEXEC\) = \d+</tmp/data/{Regex.Escape(data)}>$"),
            done.ContainerOutput.Strace);
        HostileTaskTests.AssertTraced(done);
    }

    [Fact]
    public async Task Run_UnderGvisor_CodeCatchingTheFiltersSigsysThenReadingData_EndsTraceIncompleteNotAnUnderstatedTrace()
    {
        var (data, marker) = PrivateData("runsc-sigsys");
        var code = fixture.WriteCode(Unique("runsc-sigsys"), """
            import ctypes, signal, sys
            # Survive the filter's SIGSYS: gVisor (runsc 20221219) then hands strace "-1 ENOSYS" as the result of
            # every later call of this process, so each open below would look like it failed.
            signal.signal(signal.SIGSYS, lambda *args: None)
            ctypes.CDLL(None).prctl(22, 2, 0, 0, 0)  # PR_SET_SECCOMP: SIGSYS
            for _ in range(20):
                with open(sys.argv[1]) as f:
                    text = f.read()
            print(text.strip(), flush=True)
            """);
        var settings = new Dictionary<string, string?> { [TaskerSettings.Runtime.Name] = "runsc" };

        var done = await RunAsync(code, data, settings);

        Assert.Contains(marker, done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        Assert.Contains("si_syscall=__NR_prctl,", done.ContainerOutput.Strace, StringComparison.Ordinal);
        AssertMisreportedUnderGvisor(done);
    }

    [Fact]
    public async Task Run_TracerThatRecordsNothing_EndsErrorTraceIncomplete()
    {
        // A runner whose strace runs the code but records only an end line: what --seccomp-bpf amounts to on a
        // kernel that gives no seccomp stops (gVisor), or any tracer that silently stops working.
        var image = "dataexchange-tasker-runner-blind-tracer:" + Guid.NewGuid().ToString("N")[..12];
        const string Blind = """
            #!/bin/sh
            out=/dev/null
            while [ "$#" -gt 0 ]; do
                case $1 in
                    -o) out=$2; shift 2 ;;
                    -e | -u | -s | -P | -p) shift 2 ;;
                    --) shift; break ;;
                    *) shift ;;
                esac
            done
            "$@"
            status=$?
            echo "$$ +++ exited with $status +++" >"$out"
            exit "$status"
            """;
        var context = Directory.CreateTempSubdirectory("tasker-blind-tracer-").FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"""
            FROM {EngineRequirement.RunnerImage}
            RUN printf '%s\n' {string.Join(' ', Blind.Split('\n').Select(ShellQuote))} >/usr/bin/strace && chmod 0755 /usr/bin/strace
            """);
        var build = await DockerCliAsync("build", "-q", "-t", image, context);
        Directory.Delete(context, recursive: true);
        Assert.True(build.ExitCode == 0, build.Stderr);
        try
        {
            var (data, _) = PrivateData("blind");
            var code = fixture.WriteCode(Unique("blind"), "import sys\nprint(len(open(sys.argv[1]).read()))\n");
            var settings = new Dictionary<string, string?> { [TaskerSettings.Image.Name] = image };

            var done = await RunAsync(code, data, settings);

            Assert.Equal(TaskStates.Error, done.State);
            Assert.Equal(Reasons.TraceIncomplete, done.Reason);
            Assert.DoesNotContain("execve(", done.ContainerOutput!.Strace, StringComparison.Ordinal);
            // The trace recorded nothing; the witness outside the sandbox still saw the read (it watches runc tasks
            // only: under gVisor it reports itself off with the reason).
            var witness = done.TraceSummary!.Witness!;
            if (EngineRequirement.UnderGvisor)
            {
                Assert.Equal(DataExchangeTasker.Protocol.WitnessSummary.Off, witness.Method);
            }
            else
            {
                Assert.Equal(["/tmp/data/" + data], witness.DataRead);
            }
        }
        finally
        {
            await DockerCliAsync("rmi", "-f", image);
        }
    }

    private (string DataPath, string Marker) PrivateData(string prefix)
    {
        var marker = "PRIVATE-" + Guid.NewGuid().ToString("N");
        return (fixture.WriteData(Unique(prefix) + ".txt", marker + "\n"), marker);
    }

    private async Task<DoneMessage> RunAsync(string code, string data, IReadOnlyDictionary<string, string?>? settings = null, string? image = null, TimeSpan? timeout = null,
        bool witnessWithinTrace = false)
    {
        await using var tasker = await InProcessTasker.StartAsync(fixture, settings);
        var done = await tasker.RunAsync(new StartMessage(Unique("evasion"), code, data, Image: image), timeout ?? TimeSpan.FromSeconds(120));
        if (done.TraceSummary?.Witness?.Method == DataExchangeTasker.Protocol.WitnessSummary.Fanotify && done.Reason != Reasons.TraceIncomplete)
        {
            if (witnessWithinTrace)
            {
                WitnessAssert.WitnessWithinTrace(done, fixture.DataRoot);
            }
            else
            {
                WitnessAssert.ListsAgree(done);
            }
        }

        return done;
    }

    /// <summary>The code saw none of the data: not in its stdout, not in its stderr.</summary>
    private static void AssertNotLeaked(DoneMessage done, string marker)
    {
        Assert.True(done.ContainerOutput is not null, $"{done.State}/{done.Reason}: {done.Output}");
        Assert.DoesNotContain(marker, done.ContainerOutput.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, done.ContainerOutput.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// <paramref name="syscall"/> was refused and the trace shows it: the code got EPERM (printed by the code as
    /// <paramref name="codeSaw"/>) and strace's line says it injected that (under gVisor too: without seccomp stops
    /// strace sees the call before the filter does).
    /// </summary>
    private static void AssertRefused(DoneMessage done, string syscall, string codeSaw)
    {
        Assert.True(done.State == TaskStates.Success, $"{done.State}/{done.Reason}: {done.Output} {done.ContainerOutput?.Stderr}");
        Assert.Contains(codeSaw, done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        Assert.Matches(
            new Regex($@"(?m)^\d+ +({syscall}\(|<\.\.\. {syscall} resumed>).* = -1 EPERM \(Operation not permitted\) \(INJECTED\)$"),
            done.ContainerOutput.Strace);
    }

    /// <summary>The code's filter raised SIGSYS for <paramref name="syscall"/>, the trace names it, and it ended the code.</summary>
    private static void AssertKilledBySigsys(DoneMessage done, string syscall)
    {
        Assert.True(done.State == TaskStates.Error && done.Reason == Reasons.Signal, $"{done.State}/{done.Reason}: {done.Output}");
        Assert.Equal("SIGSYS", done.Signal);
        var trace = done.ContainerOutput!.Strace;
        Assert.Matches(new Regex($@"(?m)^\d+ +--- SIGSYS \{{si_signo=SIGSYS, si_code=SYS_SECCOMP, .*si_syscall=__NR_{syscall}, "), trace);
        Assert.Matches(KilledBySigsys(), trace);
    }

    /// <summary>
    /// The code read its data, gVisor handed strace ENOSYS as the result of those opens, and the supervisor said so:
    /// never a success with a trace (and a dataRead) that understates what the code opened.
    /// </summary>
    private static void AssertMisreportedUnderGvisor(DoneMessage done)
    {
        Assert.True(done.State == TaskStates.Error && done.Reason == Reasons.TraceIncomplete, $"{done.State}/{done.Reason}: {done.Output}");
        Assert.Contains("gVisor", done.Output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"(?m)^\d+ +openat\(AT_FDCWD<[^>]*>, ""[^""]*"", O_RDONLY(\|O_CLOEXEC)?\) = -1 ENOSYS "), done.ContainerOutput!.Strace);
    }

    private static string ShellQuote(string line) => "'" + line.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"(?m)^\d+ +\+\+\+ killed by SIGSYS( \(core dumped\))? \+\+\+$")]
    private static partial Regex KilledBySigsys();

    [GeneratedRegex(@"(?m)^\d+ +clone3\(\{flags=CLONE_UNTRACED, .* = -1 ENOSYS \(Function not implemented\) \(INJECTED\)$")]
    private static partial Regex Clone3UntracedInjected();

}

