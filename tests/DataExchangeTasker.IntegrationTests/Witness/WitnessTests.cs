using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Witness;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Witness;

/// <summary>
/// The second witness (issue 24): the host kernel's record of the data files each task opened, against the real
/// kernel, engine and runner image. The tests run as root, so <c>TASKER_WITNESS=auto</c> (the default) gives fanotify.
/// </summary>
[Collection(WitnessCollection.Name)]
public sealed class WitnessTests(TaskerFixture fixture)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Run_PlainReadsOfAFolderAndAFile_AppearInTraceAndWitnessAlikeAndTheReceiptCoversThem()
    {
        var folder = Unique("plain");
        fixture.WriteData(folder + "/a.csv", "a");
        fixture.WriteData(folder + "/sub/b.csv", "b");
        fixture.WriteData(folder + "/.hidden/c.csv", "c");
        fixture.WriteData(folder + "/unread.csv", "never opened");
        var file = fixture.WriteData(Unique("plain") + ".csv", "one file");
        var readFolder = fixture.WriteCode(Unique("plain"), """
            import os, sys
            d = sys.argv[1]
            print(sorted(os.listdir(d)))
            for name in ('a.csv', 'sub/b.csv', '.hidden/c.csv'):
                print(open(os.path.join(d, name)).read())
            """);
        var readFile = fixture.WriteCode(Unique("plain"), "import sys\nprint(open(sys.argv[1]).read())\n");
        using var signer = ReceiptSigner.Generate();
        var key = Path.Combine(fixture.Root, Unique("node") + ".key");
        await File.WriteAllBytesAsync(key, signer.ExportPrivateKeyPem());
        var audit = Path.Combine(fixture.Root, Unique("audit") + ".log");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_SIGNING_KEY", key), ("TASKER_AUDIT_LOG", audit)));
        Assert.IsType<FanotifyWitness>(tasker.Witness);

        await tasker.PublishAsync(new StartMessage(Unique("plain"), readFolder, folder));
        var raw = (await tasker.CollectDoneAsync(1, Limit))[0];
        var done = InProcessTasker.Parse(raw);
        var fileDone = await tasker.RunAsync(new StartMessage(Unique("plain"), readFile, file));

        Assert.True(done.State == TaskStates.Success, done.Output);
        var data = "/tmp/data/" + folder;
        string[] expected = [data, data + "/.hidden/c.csv", data + "/a.csv", data + "/sub/b.csv"];
        var witness = done.TraceSummary!.Witness!;
        Assert.Equal(WitnessSummary.Fanotify, witness.Method);
        Assert.Equal(expected, witness.DataRead);
        WitnessAssert.ListsAgree(done);
        Assert.Equal((false, 0L, 0L, false, false), (witness.Capped, witness.Unattributed, witness.RuntimeOpens, witness.EventsLost, witness.StandsIn));

        Assert.True(fileDone.State == TaskStates.Success, fileDone.Output);
        Assert.Equal(["/tmp/data/" + file], fileDone.TraceSummary!.Witness!.DataRead);
        WitnessAssert.ListsAgree(fileDone);

        // The receipt (version 2) covers the witness, and the audit line says a witness watched.
        Assert.Equal(RunReceipt.CurrentVersion, done.Receipt!.Version);
        Assert.Equal(ReceiptWitness.Of(witness), done.Receipt.Witness);
        var verified = ReceiptVerifier.Verify(raw.Body, ReceiptPublicKey.Parse(signer.PublicKeyBase64));
        Assert.True(verified.Ok, string.Join("; ", verified.Failures));
        Assert.Contains("witness", verified.Checked);
        Assert.Contains("\"witness\":\"fanotify\"", (await File.ReadAllLinesAsync(audit))[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CodeReadingDataThroughIoUring_EndsTraceIncompleteNamingTheFile()
    {
        var folder = Unique("uring");
        fixture.WriteData(folder + "/hidden.txt", "hidden-uring-secret");
        fixture.WriteData(folder + "/plain.txt", "plain");
        var code = fixture.WriteCode(Unique("uring"), "print(open(__import__('sys').argv[1] + '/plain.txt').read())\n" +
            IoUringReadScript.Python.Replace("sys.argv[1].encode()", "(sys.argv[1] + '/hidden.txt').encode()", StringComparison.Ordinal));
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage(Unique("uring"), code, folder));

        var stdout = done.ContainerOutput!.Stdout;
        var hidden = $"/tmp/data/{folder}/hidden.txt";
        if (stdout.Contains("io_uring_setup refused", StringComparison.Ordinal))
        {
            // The sandbox refuses io_uring (issue 19): nothing was read through it, and neither list may claim otherwise.
            Assert.True(done.State == TaskStates.Success, done.Output);
            Assert.DoesNotContain(hidden, done.TraceSummary!.Witness!.DataRead!);
            WitnessAssert.ListsAgree(done);
            return;
        }

        Assert.Contains("read through io_uring: hidden-uring-secret", stdout, StringComparison.Ordinal);
        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.TraceIncomplete, done.Reason);
        Assert.Contains(hidden, done.Output, StringComparison.Ordinal);
        Assert.DoesNotContain($"/tmp/data/{folder}/plain.txt", done.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(hidden, done.TraceSummary!.DataRead);
        Assert.Contains(hidden, done.TraceSummary.Witness!.DataRead!);
        // The code's output is still delivered.
        Assert.Contains("plain", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StraceFilterWithoutOpens_WitnessListStandsInAndTheRunIsFlagged()
    {
        var file = fixture.WriteData(Unique("narrow") + ".csv", "narrowed");
        var code = fixture.WriteCode(Unique("narrow"), "import sys\nprint(open(sys.argv[1]).read())\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_STRACE_FILTER", "%process")));

        var done = await tasker.RunAsync(new StartMessage(Unique("narrow"), code, file));

        // The trace shows no open by the operator's choice, not by the code's doing: the witness is the record.
        Assert.True(done.State == TaskStates.Success, done.Output);
        Assert.Empty(done.TraceSummary!.DataRead);
        Assert.DoesNotContain("openat", done.ContainerOutput!.Strace, StringComparison.Ordinal);
        Assert.Equal(["/tmp/data/" + file], done.TraceSummary.Witness!.DataRead);
        Assert.True(done.TraceSummary.Witness.StandsIn);
    }

    [Fact]
    public async Task Run_TwoLongLivedTasksOnTheSameFolder_EachWitnessListsOnlyItsOwnReads()
    {
        var folder = Unique("shared");
        foreach (var name in new[] { "a1", "a2", "a3", "b1", "b2" })
        {
            fixture.WriteData($"{folder}/{name}.txt", name);
        }

        var go = Path.Combine(fixture.DataRoot, folder, "go");
        var go2 = Path.Combine(fixture.DataRoot, folder, "go2");
        // Each reads, waits (stat only: no open) for the test's signal, and reads again; A outlives B.
        const string Wait = """
            import os, sys, time
            d = sys.argv[1]

            def wait_for(name):
                deadline = time.monotonic() + 90
                while not os.path.exists(os.path.join(d, name)):
                    if time.monotonic() > deadline:
                        sys.exit('no ' + name)
                    time.sleep(0.02)

            def read(name):
                print(open(os.path.join(d, name)).read(), flush=True)

            """;
        var a = fixture.WriteCode(Unique("shared-a"), Wait + "read('a1.txt')\nwait_for('go')\nread('a2.txt')\nwait_for('go2')\nread('a3.txt')\n");
        var b = fixture.WriteCode(Unique("shared-b"), Wait + "read('b1.txt')\nwait_for('go')\nread('b2.txt')\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_CONCURRENCY", "2")));
        var (idA, idB) = (Unique("shared-a"), Unique("shared-b"));

        await tasker.PublishAsync(new StartMessage(idA, a, folder));
        await tasker.PublishAsync(new StartMessage(idB, b, folder));
        await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Count(c => c.State == "running") == 2, Limit, "both tasks to run at once");
        await File.WriteAllTextAsync(go, "");
        var doneB = (await tasker.CollectResultsAsync(1, Limit))[0];
        // B has ended and given its marks back; A still holds the same folder's mark and keeps being watched.
        await File.WriteAllTextAsync(go2, "");
        var doneA = (await tasker.CollectResultsAsync(1, Limit))[0];

        Assert.Equal((idB, idA), (doneB.TaskId, doneA.TaskId));
        Assert.True(doneA.State == TaskStates.Success, doneA.Output);
        Assert.True(doneB.State == TaskStates.Success, doneB.Output);
        var data = "/tmp/data/" + folder;
        Assert.Equal([data + "/a1.txt", data + "/a2.txt", data + "/a3.txt"], doneA.TraceSummary!.Witness!.DataRead);
        Assert.Equal([data + "/b1.txt", data + "/b2.txt"], doneB.TraceSummary!.Witness!.DataRead);
        WitnessAssert.ListsAgree(doneA);
        WitnessAssert.ListsAgree(doneB);
        Assert.Equal((0L, 0L), (doneA.TraceSummary.Witness.Unattributed, doneB.TraceSummary.Witness.Unattributed));
        Assert.True(doneA.StartedAt < doneB.FinishedAt && doneB.StartedAt < doneA.FinishedAt, "the two runs overlapped");
    }

    [Fact]
    public async Task Run_200Tasks_MarksComeBackToZeroAndSharedMarksOutliveEachTask()
    {
        var shared = Unique("marks");
        fixture.WriteData(shared + "/held.txt", "held");
        fixture.WriteData(shared + "/sub/deep.txt", "deep");
        for (var i = 0; i < 100; i++)
        {
            fixture.WriteData($"{shared}/x{i}.txt", "x");
        }

        var own = Unique("marks-own");
        for (var i = 0; i < 100; i++)
        {
            fixture.WriteData($"{own}/{i}/sub/y.txt", "y");
        }

        var holder = fixture.WriteCode(Unique("marks-holder"), """
            import os, sys, time
            print(open(sys.argv[1] + '/held.txt').read(), flush=True)
            deadline = time.monotonic() + 600
            while not os.path.exists(sys.argv[1] + '/release') and time.monotonic() < deadline:
                time.sleep(0.05)
            """);
        var sharedReader = fixture.WriteCode(Unique("marks-shared"), "import os, random, sys\nd = sys.argv[1]\nprint(len(os.listdir(d)))\nprint(open(f'{d}/x{random.randrange(100)}.txt').read())\n");
        var ownReader = fixture.WriteCode(Unique("marks-own"), "import sys\nprint(open(sys.argv[1] + '/sub/y.txt').read())\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_CONCURRENCY", "4")));
        var witness = Assert.IsType<FanotifyWitness>(tasker.Witness);
        Assert.Equal(0, witness.InodeMarks);
        var holderId = Unique("marks-holder");

        await tasker.PublishAsync(new StartMessage(holderId, holder, shared));
        await tasker.WaitUntilAsync(() => witness.InodeMarks == 2, Limit, "the holder's two folders to be marked");
        var ids = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var id = Unique("marks-" + i);
            ids.Add(id);
            await tasker.PublishAsync(i % 2 == 0 ? new StartMessage(id, sharedReader, shared) : new StartMessage(id, ownReader, $"{own}/{i / 2}"));
        }

        var done = await tasker.CollectUntilAnsweredAsync(ids, TimeSpan.FromMinutes(15));
        Assert.All(done, d => Assert.True(d.State == TaskStates.Success, d.TaskId + ": " + d.Output));
        Assert.All(done, d => Assert.Equal(WitnessSummary.Fanotify, d.TraceSummary!.Witness!.Method));
        // Four at a time, half of them on the holder's folder: each witness lists exactly what its own trace shows.
        Assert.All(done, WitnessAssert.ListsAgree);
        // Each task's data mount was found, so even opens by processes gone before their event was read were pinned.
        Assert.All(done, d => Assert.Equal(0L, d.TraceSummary!.Witness!.Unattributed));
        // Every task's marks are given back; the holder's folder and subfolder, shared with 100 of them, stay marked.
        Assert.Equal(2, witness.InodeMarks);

        await File.WriteAllTextAsync(Path.Combine(fixture.DataRoot, shared, "release"), "");
        var held = (await tasker.CollectResultsAsync(1, Limit))[0];

        Assert.Equal(holderId, held.TaskId);
        Assert.Equal([$"/tmp/data/{shared}/held.txt"], held.TraceSummary!.Witness!.DataRead);
        await tasker.WaitUntilAsync(() => witness.InodeMarks == 0, TimeSpan.FromSeconds(10), "the last marks to be removed");
    }

    [Fact]
    public async Task Run_TaskerWithoutCapSysAdmin_ReportsWitnessOffWithTheReason()
    {
        const string User = "dataexchange-tasker-it";
        var (added, _, addError) = await RunAsync("sh", "-c", $"id -u {User} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin --groups docker {User}");
        Assert.True(added == 0, addError);
        var roots = Directory.CreateDirectory(Path.Combine("/var/tmp", Unique("tasker-it-witness"))).FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(roots, "code", "w"));
            File.WriteAllText(Path.Combine(roots, "code", "w", "run.py"), "import sys\nprint(open(sys.argv[1]).read())\n");
            Directory.CreateDirectory(Path.Combine(roots, "data"));
            File.WriteAllText(Path.Combine(roots, "data", "d.txt"), "unwitnessed");
            Assert.Equal(0, (await RunAsync("chown", "-R", $"{User}:{User}", roots)).ExitCode);
            var env = RootsEnvironment("witness-off", roots);
            env["HOME"] = roots;
            env["DOTNET_CLI_HOME"] = roots;
            string[] nonRoot = ["setpriv", $"--reuid={User}", $"--regid={User}", "--init-groups", "--"];

            await using (var check = TaskerProcess.StartUnder(nonRoot, env, "run", "--check"))
            {
                await check.WaitForExitAsync(Limit);
                Assert.Contains("WARN  witness: off: the tasker does not have CAP_SYS_ADMIN", check.Output, StringComparison.Ordinal);
            }

            env["TASKER_WITNESS"] = "fanotify";
            await using (var required = TaskerProcess.StartUnder(nonRoot, env, "run"))
            {
                Assert.Equal(3, await required.WaitForExitAsync(Limit));
                Assert.Contains("TASKER_WITNESS=\"fanotify\" cannot be met: the tasker does not have CAP_SYS_ADMIN", required.Output, StringComparison.Ordinal);
            }

            env.Remove("TASKER_WITNESS");
            await using var tasker = TaskerProcess.StartUnder(nonRoot, env, "run");
            await tasker.WaitForOutputAsync("Ready", Limit);
            Assert.Contains("The witness is off: the tasker does not have CAP_SYS_ADMIN", tasker.Output, StringComparison.Ordinal);
            await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

            await client.PublishAsync(new StartMessage("witness-off-1", "w", "d.txt"));
            var done = (await client.CollectResultsAsync(1, Limit))[0];

            Assert.True(done.State == TaskStates.Success, done.Output + "\n" + tasker.Output);
            var witness = done.TraceSummary!.Witness!;
            Assert.Equal(WitnessSummary.Off, witness.Method);
            Assert.StartsWith("the tasker does not have CAP_SYS_ADMIN on the host", witness.Why, StringComparison.Ordinal);
            Assert.Null(witness.DataRead);
            Assert.Equal(["/tmp/data/d.txt"], done.TraceSummary.DataRead);
            await tasker.SignalAsync("TERM");
            Assert.Equal(0, await tasker.WaitForExitAsync(Limit));
        }
        finally
        {
            Directory.Delete(roots, recursive: true);
        }
    }

    /// <summary>Settings of a tasker process whose roots all lie under <paramref name="roots"/>.</summary>
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
        using var timeout = new CancellationTokenSource(Limit);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
