using System.Security.Cryptography;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Classification;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using TaskerSettings = DataExchangeTasker.Configuration.Settings;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox;

/// <summary>
/// The rows of issue 10, each against the real engine and the runner image: every one of them succeeded against the
/// old design (code and strace as one uid, results in a host folder, the live code path mounted).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SealedSandboxTests(TaskerFixture fixture)
{
    private const string Python = """
        import errno, os, sys, time

        def attempt(label, action):
            try:
                action()
                print(label, 'succeeded', flush=True)
            except OSError as e:
                print(label, 'failed', errno.errorcode.get(e.errno, str(e.errno)), flush=True)

        def wait_for(path, tenths):
            # Bounded: the test creates the file; a run that never sees it ends on its own.
            for i in range(tenths):
                if os.path.exists(path):
                    break
                time.sleep(0.1)

        """;

    [Fact]
    public async Task Run_CodeForgingItsTrace_PublishesTheRealTraceWithTheDataOpen()
    {
        var dataName = Unique("forge") + ".txt";
        var code = fixture.WriteCode(Unique("forge"), Python + """
            FAKE = 'FORGED-' + 'TRACE\n'
            attempt('rename trace', lambda: os.rename('/run/tasker/strace.txt', '/run/tasker/old.txt'))
            attempt('write trace', lambda: open('/run/tasker/strace.txt', 'w').write(FAKE))
            attempt('rename folder', lambda: os.rename('/run/tasker', '/run/x'))
            attempt('read trace', lambda: open('/run/tasker/strace.txt').read())
            open('/tmp/out/strace.txt', 'w').write(FAKE)
            print(len(open(sys.argv[1]).read()))
            """);
        var data = fixture.WriteData(dataName, "private");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("forge"), code, data));

        Assert.True(done.State == TaskStates.Success, done.Output);
        var stdout = done.ContainerOutput!.Stdout;
        Assert.Contains("rename trace failed EACCES", stdout, StringComparison.Ordinal);
        Assert.Contains("write trace failed EACCES", stdout, StringComparison.Ordinal);
        Assert.Contains("read trace failed EACCES", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("succeeded", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FORGED-TRACE", done.ContainerOutput.Strace, StringComparison.Ordinal);
        // strace -y: the working folder after AT_FDCWD, the file opened after the returned fd.
        Assert.Contains($"openat(AT_FDCWD</tmp/out>, \"/tmp/data/{dataName}\", O_RDONLY|O_CLOEXEC) = 3</tmp/data/{dataName}>", done.ContainerOutput.Strace, StringComparison.Ordinal);
        // The fake is just one of the code's output files.
        Assert.Contains(done.OutputFiles!, f => f.Path == "strace.txt");
    }

    [Fact]
    public async Task Run_CodeKillingItsTracerAndPidOne_FailsAndTheLaterOpenIsTraced()
    {
        var dataName = Unique("killtracer") + ".txt";
        var code = fixture.WriteCode(Unique("killtracer"), Python + """
            import signal
            attempt('kill tracer', lambda: os.kill(os.getppid(), signal.SIGKILL))
            attempt('kill pid 1', lambda: os.kill(1, signal.SIGKILL))
            attempt('stop tracer', lambda: os.kill(os.getppid(), signal.SIGSTOP))
            print(open(sys.argv[1]).read())
            """);
        var data = fixture.WriteData(dataName, "after-the-kill");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("killtracer"), code, data));

        Assert.True(done.State == TaskStates.Success, done.Output);
        var stdout = done.ContainerOutput!.Stdout;
        Assert.Contains("kill tracer failed EPERM", stdout, StringComparison.Ordinal);
        Assert.Contains("kill pid 1 failed EPERM", stdout, StringComparison.Ordinal);
        Assert.Contains("stop tracer failed EPERM", stdout, StringComparison.Ordinal);
        Assert.Contains("after-the-kill", stdout, StringComparison.Ordinal);
        var trace = done.ContainerOutput.Strace;
        var kill = trace.IndexOf("kill(", StringComparison.Ordinal);
        var open = trace.IndexOf($"openat(AT_FDCWD</tmp/out>, \"/tmp/data/{dataName}\"", StringComparison.Ordinal);
        Assert.True(kill >= 0 && open > kill, "the kill attempts and then the data open are in the trace");
    }

    [Fact]
    public async Task Run_TracerDiesWhileTheCodeRuns_EndsErrorTraceIncomplete()
    {
        var code = fixture.WriteCode(Unique("tracerdies"), Python + """
            open('/tmp/out/started', 'w').close()
            wait_for('/tmp/out/go', 100)
            print(open(sys.argv[1]).read(), flush=True)
            """);
        var data = fixture.WriteData(Unique("tracerdies") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        var taskId = Unique("tracerdies");

        await tasker.PublishAsync(new StartMessage(taskId, code, data));
        var id = await RunningContainerAsync(tasker);
        // As root in the container (what an OOM kill of strace, or any other tracer death, amounts to).
        await ExecUntilAsync(id, "0:0", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = strace ] && kill -9 ${p#/proc/} && exit 0; done; exit 1");
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

        Assert.Equal(taskId, done.TaskId);
        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.TraceIncomplete, done.Reason);
    }

    [Fact]
    public async Task Run_RootExecStillRunningWhenTheCodeEnds_SuccessNotASurvivorOfTheTrace()
    {
        // kill(-1, 0) as the code's uid returns 0 whenever any other process exists, even a root one it may not
        // signal: the supervisor took a root `docker exec` still running (or still exiting) when the code ended for a
        // code process that outlived strace, and the run ended trace_incomplete.
        var code = fixture.WriteCode(Unique("rootexec"), Python + """
            open('/tmp/out/started', 'w').close()
            wait_for('/tmp/go', 600)
            print('ended', flush=True)
            """);
        var data = fixture.WriteData(Unique("rootexec") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        await tasker.PublishAsync(new StartMessage(Unique("rootexec"), code, data));
        var id = await RunningContainerAsync(tasker);
        await ExecUntilAsync(id, "0:0", "test -e /tmp/out/started");

        var (detached, _, error) = await DockerCliAsync("exec", "-d", "-u", "0:0", id, "sleep", "120");
        Assert.True(detached == 0, error);
        await ExecUntilAsync(id, "0:0", "touch /tmp/go");
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

        Assert.True(done.State == TaskStates.Success, $"{done.State} {done.Reason}: {done.Output}");
        Assert.Contains("ended", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OrphanedChildReadsTheDataAndExitsLast_TracedAndNotASurvivor()
    {
        // The parent exits at once: the child becomes the supervisor's (PID 1's) child, stays traced, reads the data
        // and exits last. Its zombie is PID 1's to reap: it runs nothing, so it is no survivor of the trace, and its
        // read is in the trace.
        var dataName = Unique("orphan") + ".txt";
        var code = fixture.WriteCode(Unique("orphan"), Python + """
            if os.fork() == 0:
                while os.getppid() != 1:
                    time.sleep(0.01)
                print('orphan read', open(sys.argv[1]).read(), flush=True)
                os._exit(0)
            os._exit(0)
            """);
        var data = fixture.WriteData(dataName, "orphan-data");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("orphan"), code, data));

        Assert.True(done.State == TaskStates.Success, done.Output);
        Assert.Contains("orphan read orphan-data", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"/tmp/data/{dataName}\", O_RDONLY|O_CLOEXEC) = 3</tmp/data/{dataName}>", done.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AnotherLocalUidSearchingTheHostWhileATaskRuns_FindsNothing()
    {
        var marker = "PRIVATE-" + Guid.NewGuid().ToString("N");
        var roots = Directory.CreateDirectory(Path.Combine("/var/tmp", Unique("tasker-it-otheruid"))).FullName;
        File.SetUnixFileMode(roots, (UnixFileMode)0x1ED); // 0755: only the tasker's own modes protect what is below
        try
        {
            var code = fixture.WriteCode(Unique("otheruid"), Python + $$"""
                print('{{marker}}', flush=True)
                open('/tmp/out/result.txt', 'w').write('{{marker}}\n')
                open('/tmp/out/started', 'w').close()
                # Bounded, and long enough for the host-wide search below on a loaded machine.
                wait_for('/tmp/go', 1800)
                """);
            var data = fixture.WriteData(Unique("otheruid") + ".txt", "x");
            await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(
                ("TASKER_WORK_ROOT", Path.Combine(roots, "state")), ("TASKER_RESULTS_ROOT", Path.Combine(roots, "results")), ("TASKER_SNAPSHOT_ROOT", Path.Combine(roots, "snapshots"))));
            await tasker.PublishAsync(new StartMessage(Unique("otheruid"), code, data));
            var id = await RunningContainerAsync(tasker);
            await ExecUntilAsync(id, "0:0", "test -e /tmp/out/started");

            // While it runs: everything uid 12345 can reach on the host, including other processes' roots.
            var search = $"grep -rls -- '{marker}' {roots} /tmp /var/tmp /run /var/lib/docker /proc/[0-9]*/root/tmp/out /proc/[0-9]*/root/run/tasker 2>/dev/null; true";
            var (_, found, _) = await RunAsync("setpriv", "--reuid=12345", "--regid=12345", "--clear-groups", "sh", "-c", search);
            Assert.Equal("", found.Trim());

            // As root, in the world-writable /tmp: an exec of the code's uid still exiting when the code ends would count as a survivor of its trace.
            await ExecUntilAsync(id, "0:0", "touch /tmp/go");
            var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];
            Assert.True(done.State == TaskStates.Success, done.Output);
            Assert.StartsWith(Path.Combine(roots, "results") + "/", done.OutputFolder, StringComparison.Ordinal);

            // After it: the results are the tasker's (0750 folders, 0640 files), not uid 12345's.
            var folder = done.OutputFolder!;
            Assert.Equal((UnixFileMode)0x1E8, File.GetUnixFileMode(folder)); // 0750
            Assert.Equal((UnixFileMode)0x1A0, File.GetUnixFileMode(Path.Combine(folder, "result.txt"))); // 0640
            var (exit, stolen, error) = await RunAsync("setpriv", "--reuid=12345", "--regid=12345", "--clear-groups", "cat", Path.Combine(folder, "result.txt"));
            Assert.NotEqual(0, exit);
            Assert.DoesNotContain(marker, stolen, StringComparison.Ordinal);
            Assert.Contains("Permission denied", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(roots, recursive: true);
        }
    }

    [Fact]
    public async Task Run_HelperSwappedOnTheHostWhileTheTaskRuns_TheHashedOriginalRuns()
    {
        var name = Unique("swap");
        var code = fixture.WriteCode(name, Python + """
            open('/tmp/out/started', 'w').close()
            wait_for('/tmp/go', 200)
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import helper
            """);
        var helper = Path.Combine(fixture.CodeRoot, name, "helper.py");
        File.WriteAllText(helper, "print('ORIGINAL')\n");
        var data = fixture.WriteData(name + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await tasker.PublishAsync(new StartMessage(name, code, data));
        var id = await RunningContainerAsync(tasker);
        await ExecUntilAsync(id, "0:0", "test -e /tmp/out/started");
        File.WriteAllText(helper, "print('SWAPPED')\n");
        // As root, in the world-writable /tmp: an exec of the code's uid still exiting when the code ends would count as a survivor of its trace.
        await ExecUntilAsync(id, "0:0", "touch /tmp/go");
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

        Assert.True(done.State == TaskStates.Success, done.Output);
        Assert.Equal("ORIGINAL\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_TaskerInAPrivateMountNamespaceWithItsOwnTmp_TasksSucceed()
    {
        // What systemd's PrivateTmp=/ProtectHome= give the tasker: mounts dockerd cannot see. Roots outside /tmp.
        var roots = Directory.CreateDirectory(Path.Combine("/var/tmp", Unique("tasker-it-ns"))).FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(roots, "code", "ns"));
            File.WriteAllText(Path.Combine(roots, "code", "ns", "run.py"), "import sys\nprint(open(sys.argv[1]).read())\nopen('/tmp/out/o.txt', 'w').write('out')\n");
            Directory.CreateDirectory(Path.Combine(roots, "data"));
            File.WriteAllText(Path.Combine(roots, "data", "d.txt"), "namespaced");
            var env = RootsEnvironment("ns", roots);
            await using var tasker = TaskerProcess.StartUnder(
                ["unshare", "--mount", "--propagation", "slave", "sh", "-c", PrivateTmpScript, "sh"], env, "run");
            await tasker.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

            await client.PublishAsync(new StartMessage("ns-1", "ns", "d.txt"));
            var done = (await client.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

            Assert.True(done.State == TaskStates.Success, done.Output + "\n" + tasker.Output);
            Assert.Equal("namespaced\n", done.ContainerOutput!.Stdout);
            Assert.Equal("out", File.ReadAllText(Path.Combine(done.OutputFolder!, "o.txt")));
            await tasker.SignalAsync("TERM");
            Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            Directory.Delete(roots, recursive: true);
        }
    }

    [Fact]
    public async Task Run_NonRootTaskerInTheDockerGroup_TasksSucceedAndResultsAreItsOwn()
    {
        const string User = "dataexchange-tasker-it";
        var (added, _, addError) = await RunAsync("sh", "-c", $"id -u {User} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin --groups docker {User}");
        Assert.True(added == 0, addError);
        var uid = (await RunAsync("id", "-u", User)).Stdout.Trim();
        var roots = Directory.CreateDirectory(Path.Combine("/var/tmp", Unique("tasker-it-nonroot"))).FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(roots, "code", "nr"));
            File.WriteAllText(Path.Combine(roots, "code", "nr", "run.py"), "import os, sys\nprint(open(sys.argv[1]).read())\nopen('/tmp/out/o.txt', 'w').write('mine')\n");
            Directory.CreateDirectory(Path.Combine(roots, "data"));
            File.WriteAllText(Path.Combine(roots, "data", "d.txt"), "non-root");
            Assert.Equal(0, (await RunAsync("chown", "-R", $"{User}:{User}", roots)).ExitCode);
            var env = RootsEnvironment("nonroot", roots);
            env["HOME"] = roots;
            env["DOTNET_CLI_HOME"] = roots;
            await using var tasker = TaskerProcess.StartUnder(["setpriv", $"--reuid={User}", $"--regid={User}", "--init-groups", "--"], env, "run");
            await tasker.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

            await client.PublishAsync(new StartMessage("nonroot-1", "nr", "d.txt"));
            var done = (await client.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

            Assert.True(done.State == TaskStates.Success, done.Output + "\n" + tasker.Output);
            Assert.Equal("non-root\n", done.ContainerOutput!.Stdout);
            var (_, owner, _) = await RunAsync("stat", "-c", "%u %a", Path.Combine(done.OutputFolder!, "o.txt"));
            Assert.Equal($"{uid} 640", owner.Trim());
            await tasker.SignalAsync("TERM");
            Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            Directory.Delete(roots, recursive: true);
        }
    }

    [Fact]
    public async Task Run_CodeWriting200Files_AllComeBackWithSizesAndSha256()
    {
        var code = fixture.WriteCode(Unique("files"), """
            import hashlib, json, os
            sums = {}
            for i in range(200):
                name = 'f%03d.bin' % i if i % 2 else 'sub/dir/f%03d.txt' % i
                os.makedirs(os.path.dirname('/tmp/out/' + name) or '/tmp/out', exist_ok=True)
                body = os.urandom(i * 37)
                with open('/tmp/out/' + name, 'wb') as f:
                    f.write(body)
                sums[name] = [len(body), hashlib.sha256(body).hexdigest()]
            print(json.dumps(sums))
            """);
        var data = fixture.WriteData(Unique("files") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("files"), code, data));

        Assert.True(done.State == TaskStates.Success, done.Output);
        var written = JsonSerializer.Deserialize<Dictionary<string, JsonElement[]>>(done.ContainerOutput!.Stdout)!;
        Assert.Equal(200, done.OutputFiles!.Count);
        Assert.False(done.Truncated!.Files);
        foreach (var file in done.OutputFiles)
        {
            var expected = written[file.Path];
            Assert.Equal(expected[0].GetInt64(), file.Size);
            Assert.Equal(expected[1].GetString(), file.Sha256);
            var host = Path.Combine(done.OutputFolder!, file.Path);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(host))));
            Assert.Equal((UnixFileMode)0x1A0, File.GetUnixFileMode(host)); // 0640
        }

        Assert.Equal((UnixFileMode)0x1E8, File.GetUnixFileMode(done.OutputFolder!)); // 0750
        Assert.Equal((UnixFileMode)0x1E8, File.GetUnixFileMode(Path.Combine(done.OutputFolder!, "sub", "dir")));
    }

    [Fact]
    public async Task Run_CodePlantingLinksFifoAndSocketInOut_OnlyRegularFilesComeBack()
    {
        using var secret = new HostSecret();
        var code = fixture.WriteCode(Unique("planted"), Python + $$"""
            import socket
            open('/tmp/out/real.txt', 'w').write('real')
            os.symlink('/etc/shadow', '/tmp/out/shadow')
            os.symlink({{HostileTaskTests.PythonString(secret.File)}}, '/tmp/out/secret')
            os.symlink('/', '/tmp/out/root')
            os.link('/tmp/out/real.txt', '/tmp/out/hard.txt')
            os.mkfifo('/tmp/out/fifo')
            socket.socket(socket.AF_UNIX).bind('/tmp/out/sock')
            """);
        var data = fixture.WriteData(Unique("planted") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await tasker.PublishAsync(new StartMessage(Unique("planted"), code, data));
        var raw = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(90)))[0];
        var done = InProcessTasker.Parse(raw);

        Assert.True(done.State == TaskStates.Success, done.Output);
        Assert.DoesNotContain(secret.Marker, raw.BodyText, StringComparison.Ordinal);
        // tar stores the second name of a file (whichever it meets second) as a hard link: refused like every link.
        var kept = Assert.Single(done.OutputFiles!);
        Assert.True(kept.Path is "real.txt" or "hard.txt", kept.Path);
        Assert.Equal(4, kept.Size);
        Assert.True(done.Truncated!.Files);
        Assert.Equal([kept.Path], Directory.EnumerateFileSystemEntries(done.OutputFolder!).Select(Path.GetFileName));
        Assert.Equal("real", File.ReadAllText(Path.Combine(done.OutputFolder!, kept.Path)));
        Assert.Equal(secret.Marker + "\n", File.ReadAllText(secret.File));
    }

    [Fact]
    public async Task Run_MoreFilesThanTheLimit_KeepsTheLimitAndSaysTruncated()
    {
        var code = fixture.WriteCode(Unique("cap"), """
            for i in range(11):
                open('/tmp/out/f%02d' % i, 'w').write(str(i))
            """);
        var data = fixture.WriteData(Unique("cap") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_OUTPUT_FILES_LIMIT", "10")));

        var done = await tasker.RunAsync(new StartMessage(Unique("cap"), code, data));

        Assert.True(done.State == TaskStates.Success, done.Output);
        Assert.Equal(10, done.OutputFiles!.Count);
        Assert.True(done.Truncated!.Files);
        Assert.Equal(10, Directory.GetFiles(done.OutputFolder!).Length);
    }

    [Fact]
    public async Task Run_DataPathSwappedForALinkBetweenPrepareAndRun_IsRejectedPathChangedWithoutRunning()
    {
        var name = Unique("swapdata");
        var folder = Path.Combine(fixture.DataRoot, name);
        Directory.CreateDirectory(Path.Combine(folder, "inner"));
        File.WriteAllText(Path.Combine(folder, "inner", "d.txt"), "resolved");
        var other = Path.Combine(fixture.DataRoot, name + "-other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "d.txt"), "SWAPPED-IN");
        var code = fixture.WriteCode(name, "import sys\nprint(open(sys.argv[1]).read())\n");
        var values = new Dictionary<string, string?>
        {
            [TaskerSettings.CodeRoot.Name] = fixture.CodeRoot,
            [TaskerSettings.DataRoot.Name] = fixture.DataRoot,
            [TaskerSettings.WorkRoot.Name] = Path.Combine(fixture.Root, "work-" + name),
            [TaskerSettings.ResultsRoot.Name] = Path.Combine(fixture.Root, "results-" + name),
            [TaskerSettings.SnapshotRoot.Name] = Path.Combine(fixture.Root, "snapshots"),
            [TaskerSettings.Image.Name] = EngineRequirement.RunnerImage,
            [TaskerSettings.TaskerId.Name] = name,
            [TaskerSettings.Runtime.Name] = EngineRequirement.Runtime,
        };
        var options = TaskerOptionsLoader.Load(values).Sandbox;
        using var metrics = new TaskMetrics();
        var runner = new SandboxRunner(fixture.Docker, options, new ContainerSpecFactory(options, name), name, Serilog.Core.Logger.None, metrics);
        var (task, rejection) = await new TaskPreparer(options).PrepareAsync(new StartMessage(name, code, name + "/inner/d.txt"), CancellationToken.None);
        Assert.Null(rejection);

        // The hook between prepare and run: a path component becomes a link to another folder.
        Directory.Move(Path.Combine(folder, "inner"), Path.Combine(folder, "moved"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "inner"), other);
        var key = runner.KeyOf(name);
        try
        {
            var run = await runner.RunAsync(task!, key, CancellationToken.None);
            var done = ResultClassifier.Classify(name, task!.Limits, run);

            Assert.Equal(TaskStates.Rejected, done.State);
            Assert.Equal(Reasons.PathChanged, done.Reason);
            Assert.Null(done.ContainerOutput);
            Assert.Equal("", run.Results!.Stdout.Text.Text);
            Assert.Equal("", run.Results.Strace.Text.Text);
        }
        finally
        {
            await runner.AbandonAsync(key, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Run_TimeoutWhileWritingFiles_KeepsPartialStdoutAndOutputFiles()
    {
        var code = fixture.WriteCode(Unique("partial"), """
            import time
            print('before the timeout', flush=True)
            open('/tmp/out/partial.txt', 'w').write('partial')
            time.sleep(3600)
            """);
        var data = fixture.WriteData(Unique("partial") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("partial"), code, data, Limits: new TaskLimits(TimeoutSeconds: 3)));

        Assert.Equal(Reasons.Timeout, done.Reason);
        Assert.Equal("before the timeout\n", done.ContainerOutput!.Stdout);
        var file = Assert.Single(done.OutputFiles!);
        Assert.Equal(("partial.txt", 7L), (file.Path, file.Size));
        Assert.Contains("+++ killed by SIGKILL +++", done.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    /// <summary>Settings of a tasker process whose roots all lie under <paramref name="roots"/> (code and data in it).</summary>
    private Dictionary<string, string?> RootsEnvironment(string name, string roots)
    {
        var env = fixture.ProcessEnvironment(name);
        env["TASKER_CODE_ROOT"] = Path.Combine(roots, "code");
        env["TASKER_DATA_ROOT"] = Path.Combine(roots, "data");
        env["TASKER_WORK_ROOT"] = Path.Combine(roots, "state");
        env["TASKER_RESULTS_ROOT"] = Path.Combine(roots, "results");
        env["TASKER_SNAPSHOT_ROOT"] = Path.Combine(roots, "snapshots");
        env["TASKER_DEPS_ROOT"] = Path.Combine(roots, "deps");
        return env;
    }

    private async Task<string> RunningContainerAsync(InProcessTasker tasker)
    {
        string? id = null;
        await tasker.WaitUntilAsync(async () =>
        {
            id = (await tasker.ContainersAsync(fixture)).FirstOrDefault(c => c.State == "running")?.ID;
            return id is not null;
        }, TimeSpan.FromSeconds(60), "the task's container to run");
        return id!;
    }

    /// <summary>
    /// A fresh tmpfs over /tmp, as systemd's PrivateTmp= gives the tasker. A checkout that itself lives under /tmp (a CI
    /// clone) keeps its binary folder and working folder visible, as an installed binary outside /tmp would be.
    /// </summary>
    private const string PrivateTmpScript =
        "mkdir -p /run/tasker-it-host-tmp && mount --bind /tmp /run/tasker-it-host-tmp && mount -t tmpfs tmpfs /tmp && " +
        "for d in \"$(dirname \"$1\")\" \"$PWD\"; do case $d in /tmp/*) mkdir -p \"$d\" && mount --bind \"/run/tasker-it-host-tmp/${d#/tmp/}\" \"$d\" ;; esac; done && " +
        "exec \"$@\"";

    /// <summary>Runs <paramref name="script"/> in the container as <paramref name="user"/> until it succeeds (bounded).</summary>
    // As root (its CAP_DAC_READ_SEARCH reads the code's /tmp/out): `docker exec` can return its exit code while the
    // exec'd process is not yet reaped, and one of the code's uid still there when the code ends is, rightly, a
    // survivor of its trace. A root one is not (Run_RootExecStillRunningWhenTheCodeEnds_SuccessNotASurvivorOfTheTrace).
    private static async Task ExecUntilAsync(string id, string user, string script)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (exit, _, stderr) = await DockerCliAsync("exec", "-u", user, id, "sh", "-c", script);
            if (exit == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"docker exec {script} kept failing: {stderr}");
            await Task.Delay(100);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
