using System.Text;
using System.Text.Json.Nodes;
using DataExchangeTasker.Governance.Approvals;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.IntegrationTests.Governance;

/// <summary>Issue 12 end to end: approvals, trace summary, signed receipts and the audit log, with the real tasker binary as verifier.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GovernanceTests(TaskerFixture fixture)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_UnlistedHashThenApprovedWithoutRestart_RejectedNotApprovedThenRuns()
    {
        var code = fixture.WriteCode("gov-approve-" + Guid.NewGuid().ToString("N")[..8], "print('approved')\n");
        var data = fixture.WriteData("gov-approve.txt", "x");
        var approvals = Path.Combine(fixture.Root, $"approvals-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(approvals, "# approved code of this node\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { ["TASKER_APPROVALS_FILE"] = approvals });

        var rejected = await tasker.RunAsync(new StartMessage("gov-unlisted", code, data));
        Assert.Equal(TaskStates.Rejected, rejected.State);
        Assert.Equal(Reasons.NotApproved, rejected.Reason);
        Assert.Null(rejected.ContainerOutput);

        var hash = await CodeHasher.HashAsync(Path.Combine(fixture.CodeRoot, code), CancellationToken.None);
        await ApprovalFile.AppendAsync(approvals, hash, "gov test", CancellationToken.None);
        var ran = await tasker.RunAsync(new StartMessage("gov-listed", code, data));

        Assert.Equal(TaskStates.Success, ran.State);
        Assert.Equal("approved\n", ran.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_ProbeTouchingNetworkAndTwoOfThreeFiles_TraceSummaryShowsExactlyThose()
    {
        var folder = "gov-probe-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var name in new[] { "a.txt", "b.txt", "c.txt" })
        {
            fixture.WriteData($"{folder}/{name}", name);
        }

        var code = fixture.WriteCode("gov-probe", """
            import os, socket, sys
            for name in ("a.txt", "b.txt"):
                with open(os.path.join(sys.argv[1], name)) as f:
                    print(f.read())
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.connect(("1.1.1.1", 53))
                s.send(b"x")
            except OSError as e:
                print("network:", e.errno)
            """);
        // A small output limit: the summary must still come from the whole trace.
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { ["TASKER_OUTPUT_LIMIT"] = "4096" });

        var done = await tasker.RunAsync(new StartMessage("gov-probe", code, folder));

        Assert.Equal(TaskStates.Success, done.State);
        var summary = done.TraceSummary!;
        var mount = $"{TraceSummaryBuilder.DataMount}/{folder}";
        Assert.Equal([$"{mount}/a.txt", $"{mount}/b.txt"], summary.DataRead.Where(p => p.StartsWith(mount + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(summary.DataRead, p => p.EndsWith("c.txt", StringComparison.Ordinal));
        var attempt = Assert.Single(summary.NetworkAttempts, a => a.Address == "1.1.1.1");
        Assert.Equal(("connect", "AF_INET", 53), (attempt.Syscall, attempt.Family, attempt.Port));
        Assert.Equal("ENETUNREACH", attempt.Result);
        Assert.Contains(summary.Processes, p => p.Path.Contains("python", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReceiptVerify_RealDoneMessage_PassesAndFailsAfterOneByteOfStdoutReceiptOrSignatureChanges()
    {
        var (keyFile, publicKey) = NewKey();
        var code = fixture.WriteCode("gov-receipt", "print('receipted output')\nopen('/tmp/out/result.txt', 'w').write('r')\n");
        var data = fixture.WriteData("gov-receipt.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { ["TASKER_SIGNING_KEY"] = keyFile });

        await tasker.PublishAsync(new StartMessage("gov-receipt", code, data));
        var body = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(90)))[0].Body;
        var original = JsonNode.Parse(body)!;
        Assert.NotNull(original["receipt"]);
        Assert.NotNull(original["receiptSignature"]);

        Assert.Equal(0, await VerifyReceiptAsync(original, publicKey));

        var stdout = original.DeepClone();
        stdout["containerOutput"]!["stdout"] = FlipFirst(stdout["containerOutput"]!["stdout"]!.GetValue<string>());
        Assert.NotEqual(0, await VerifyReceiptAsync(stdout, publicKey));

        var receipt = original.DeepClone();
        receipt["receipt"]!["codeHash"] = FlipFirst(receipt["receipt"]!["codeHash"]!.GetValue<string>());
        Assert.NotEqual(0, await VerifyReceiptAsync(receipt, publicKey));

        var signature = original.DeepClone();
        var bytes = Convert.FromBase64String(signature["receiptSignature"]!.GetValue<string>());
        bytes[0] ^= 1;
        signature["receiptSignature"] = Convert.ToBase64String(bytes);
        Assert.NotEqual(0, await VerifyReceiptAsync(signature, publicKey));
    }

    [Fact]
    public async Task AuditVerify_LogOfTwentyTasks_HoldsAndFailsNamingTheLineAfterDeleteEditOrSwap()
    {
        var (keyFile, publicKey) = NewKey();
        var log = Path.Combine(fixture.Root, $"audit-{Guid.NewGuid():N}.jsonl");
        var code = fixture.WriteCode("gov-audit", "import sys\nprint(open(sys.argv[1]).read())\n");
        var data = fixture.WriteData("gov-audit.txt", "audited");
        await using (var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["TASKER_SIGNING_KEY"] = keyFile,
            ["TASKER_AUDIT_LOG"] = log,
            ["TASKER_CONCURRENCY"] = "4",
        }))
        {
            var ids = Enumerable.Range(1, 20).Select(i => $"gov-audit-{i}").ToList();
            // One of them is rejected: rejections are audited too.
            await Task.WhenAll(ids.Select(id => tasker.PublishAsync(new StartMessage(id, id == "gov-audit-7" ? "no_such_code" : code, data))));
            await tasker.CollectUntilAnsweredAsync(ids, TimeSpan.FromSeconds(240));
        }

        var lines = await File.ReadAllLinesAsync(log);
        Assert.Equal(20, lines.Length);
        Assert.Equal(0, (await CliAsync("audit", "verify", log, "--public-key", publicKey)).Code);

        await ExpectBrokenAsync([.. lines.Where((_, i) => i != 4)], 5);
        var edited = lines.ToArray();
        edited[9] = edited[9].Replace("gov-audit", "gov-audiT", StringComparison.Ordinal);
        await ExpectBrokenAsync(edited, 10);
        var swapped = lines.ToArray();
        (swapped[2], swapped[3]) = (swapped[3], swapped[2]);
        await ExpectBrokenAsync(swapped, 3);

        async Task ExpectBrokenAsync(string[] tampered, int line)
        {
            var copy = Path.Combine(fixture.Root, $"audit-tampered-{Guid.NewGuid():N}.jsonl");
            await File.WriteAllTextAsync(copy, string.Join('\n', tampered) + "\n");
            var (exit, output) = await CliAsync("audit", "verify", copy, "--public-key", publicKey);
            Assert.Equal(1, exit);
            Assert.Contains($"line {line}:", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AuditVerify_TaskerKilledMidRun_LogStillVerifiesAndRestartContinuesTheChain()
    {
        var (keyFile, publicKey) = NewKey();
        var log = Path.Combine(fixture.Root, $"audit-kill-{Guid.NewGuid():N}.jsonl");
        var quick = fixture.WriteCode("gov-kill-quick", "print('quick')\n");
        var slow = fixture.WriteCode("gov-kill-slow", "import time\ntime.sleep(8)\nprint('slow')\n");
        var data = fixture.WriteData("gov-kill.txt", "x");
        var env = fixture.ProcessEnvironment("govkill");
        env["TASKER_SIGNING_KEY"] = keyFile;
        env["TASKER_AUDIT_LOG"] = log;
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

        await using (var first = TaskerProcess.Start(env, "run"))
        {
            await first.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            foreach (var id in new[] { "gov-kill-1", "gov-kill-2" })
            {
                await client.PublishAsync(new StartMessage(id, quick, data));
            }

            await client.CollectUntilAnsweredAsync(["gov-kill-1", "gov-kill-2"], TimeSpan.FromSeconds(90));
            await client.PublishAsync(new StartMessage("gov-kill-slow", slow, data));
            await first.WaitForOutputAsync("Task gov-kill-slow started in container", TimeSpan.FromSeconds(60));
            await first.SignalAsync("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var afterKill = await CliAsync("audit", "verify", log, "--public-key", publicKey);
        Assert.True(afterKill.Code == 0, afterKill.Output);

        await using (var second = TaskerProcess.Start(env, "run"))
        {
            await second.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            var answers = await client.CollectUntilAnsweredAsync(["gov-kill-slow"], TimeSpan.FromSeconds(120));
            Assert.Equal(TaskStates.Success, answers.Single(a => a.TaskId == "gov-kill-slow").State);
            await second.WaitForOutputAsync("Task gov-kill-slow ended", TimeSpan.FromSeconds(30));
            await second.SignalAsync("TERM");
            await second.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        var afterRestart = await CliAsync("audit", "verify", log, "--public-key", publicKey);
        Assert.True(afterRestart.Code == 0, afterRestart.Output);
        Assert.Equal(3, (await File.ReadAllLinesAsync(log)).Length);
    }

    private (string KeyFile, string PublicKey) NewKey()
    {
        using var signer = ReceiptSigner.Generate();
        var path = Path.Combine(fixture.Root, $"node-{Guid.NewGuid():N}.key");
        File.WriteAllBytes(path, signer.ExportPrivateKeyPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (path, signer.PublicKeyBase64);
    }

    private async Task<int> VerifyReceiptAsync(JsonNode done, string publicKey)
    {
        var path = Path.Combine(fixture.Root, $"done-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, done.ToJsonString());
        return (await CliAsync("receipt", "verify", path, "--public-key", publicKey)).Code;
    }

    private static async Task<(int Code, string Output)> CliAsync(params string[] arguments)
    {
        await using var cli = TaskerProcess.Start(new Dictionary<string, string?>(), arguments);
        var code = await cli.WaitForExitAsync(CliTimeout);
        return (code, cli.Output);
    }

    private static string FlipFirst(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes[0] ^= 1;
        return Encoding.UTF8.GetString(bytes);
    }
}
