using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox.Collection;

/// <summary>
/// Collecting a task's <c>/tmp/out</c> onto the host: what the host cannot store is that task's loss (named in its
/// done message), never the node's; a results disk that cannot be written ends the task and shows in readiness.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class OutputCollectionTests(TaskerFixture fixture)
{
    /// <summary>Makes a folder named 255 bytes of 0xFE and a chain of folders whose joined path passes PATH_MAX on the host.</summary>
    private const string HostileNamesPy = """
        import os
        odd = b'/tmp/out/' + b'\xfe' * 255
        os.mkdir(odd)
        with open(odd + b'/inside.txt', 'wb') as f:
            f.write(b'never stored')
        os.chdir('/tmp/out')
        for i in range(24):
            name = 'd%02d' % i + 'x' * 197
            os.mkdir(name)
            os.chdir(name)
        with open('bottom.txt', 'w') as f:
            f.write('never stored either')
        with open('/tmp/out/ok.txt', 'w') as f:
            f.write('kept')
        print('made the hostile names', flush=True)
        """;

    [Fact]
    public async Task Run_OutputNamesTheHostCannotCreateBesideAPlainTask_OnlyThatTaskLosesThoseEntries()
    {
        var deep = fixture.WriteCode(Unique("deep-names"), HostileNamesPy);
        var plain = fixture.WriteCode(Unique("plain"), "print('plain')\n");
        var data = fixture.WriteData(Unique("deep-names") + ".txt", "x");
        // One at a time: on main the deep task's collection looked like an engine outage and held the node.
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_CONCURRENCY", "1")));
        var deepId = Unique("deep");
        var plainId = Unique("plain");

        await tasker.PublishAsync(new StartMessage(deepId, deep, data));
        await tasker.PublishAsync(new StartMessage(plainId, plain, data));
        var published = Stopwatch.StartNew();
        var answers = new Dictionary<string, ReceivedMessage>();
        var plainAnsweredAfter = TimeSpan.MaxValue;
        while (answers.Count < 2)
        {
            var message = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(90)))[0];
            var taskId = InProcessTasker.Parse(message).TaskId;
            answers[taskId] = message;
            plainAnsweredAfter = taskId == plainId ? published.Elapsed : plainAnsweredAfter;
        }

        // The plain task waits only for the deep one's run (a few seconds), as behind any small task; on main it waited
        // while the deep one's collection passed for an engine outage, again and again for its 600 s collect window.
        Assert.True(plainAnsweredAfter < TimeSpan.FromSeconds(30), $"the plain task was answered after {plainAnsweredAfter}");
        var plainDone = InProcessTasker.Parse(answers[plainId]);
        Assert.Equal(TaskStates.Success, plainDone.State);
        Assert.Equal("plain\n", plainDone.ContainerOutput!.Stdout);

        var deepDone = InProcessTasker.Parse(answers[deepId]);
        Assert.Equal(TaskStates.Success, deepDone.State);
        Assert.Equal("made the hostile names\n", deepDone.ContainerOutput!.Stdout);
        Assert.Contains("execve(", deepDone.ContainerOutput.Strace, StringComparison.Ordinal);
        Assert.Equal(["ok.txt"], deepDone.OutputFiles!.Select(f => f.Path));
        Assert.True(deepDone.Truncated!.Files);
        using var json = JsonDocument.Parse(answers[deepId].Body);
        var refused = RefusedEntries(json);
        Assert.Contains(refused, r => r.Path == string.Concat(Enumerable.Repeat(@"\xfe", 255)) && r.Reason == "name_not_utf8");
        Assert.Contains(refused, r => r.Path.EndsWith("/bottom.txt", StringComparison.Ordinal) && r.Reason == "name_too_long");

        // The results root holds the deep task's folder and nothing else: no half-made chain, no odd name.
        var root = tasker.Options.Sandbox.ResultsRoot;
        Assert.Equal([deepDone.OutputFolder!], Directory.GetDirectories(root));
        var stored = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(deepDone.OutputFolder!, f));
        Assert.Equal(["ok.txt"], stored);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories), p => p.Contains('\uFFFD', StringComparison.Ordinal));

        // Never mistaken for an engine outage.
        Assert.True(tasker.Health.IsReady);
        Assert.Equal(0, Counter(tasker.MetricsText(), "tasker_engine_outages_total"));
    }

    [Fact]
    public async Task Run_ManyEmptyFolders_CountTowardTheFilesLimitAndTheHostHoldsNoMore()
    {
        var code = fixture.WriteCode(Unique("folders"), """
            import os
            with open('/tmp/out/result.txt', 'w') as f:
                f.write('the one file')
            for i in range(5000):
                os.mkdir('/tmp/out/empty%05d' % i)
            print('made 5000 folders', flush=True)
            """);
        var data = fixture.WriteData(Unique("folders") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_OUTPUT_FILES_LIMIT", "50")));
        var id = Unique("folders");

        await tasker.PublishAsync(new StartMessage(id, code, data));
        var message = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(120)))[0];
        var done = InProcessTasker.Parse(message);

        Assert.Equal(TaskStates.Success, done.State);
        Assert.True(done.Truncated!.Files);
        // Folders and files together: the first 50 entries count, the other 4951 are dropped and said so.
        using var json = JsonDocument.Parse(message.Body);
        Assert.Equal(4951, json.RootElement.GetProperty("refusedOutputs").GetProperty("count").GetInt32());
        Assert.All(RefusedEntries(json), r => Assert.Equal("files_limit", r.Reason));
        var onHost = Directory.EnumerateFileSystemEntries(tasker.Options.Sandbox.ResultsRoot, "*", SearchOption.AllDirectories).Count();
        Assert.InRange(onHost, 0, 51);
    }

    [Fact]
    public async Task Run_LinksFifosAndNamesThatAreNotUtf8_AreListedAsRefusedEachDistinctly()
    {
        var code = fixture.WriteCode(Unique("refused"), """
            import os
            os.symlink('/etc/passwd', '/tmp/out/link')
            os.mkfifo('/tmp/out/fifo')
            for name in (b'/tmp/out/\xfe.txt', b'/tmp/out/\xff.txt', b'/tmp/out/back\\slash\xc3.txt'):
                with open(name, 'wb') as f:
                    f.write(b'odd')
            with open('/tmp/out/fine-\u00e9.txt', 'w') as f:
                f.write('fine')
            """);
        var data = fixture.WriteData(Unique("refused") + ".txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        var id = Unique("refused");

        await tasker.PublishAsync(new StartMessage(id, code, data));
        var message = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(90)))[0];
        var done = InProcessTasker.Parse(message);

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal(["fine-\u00e9.txt"], done.OutputFiles!.Select(f => f.Path));
        Assert.True(done.Truncated!.Files);
        using var json = JsonDocument.Parse(message.Body);
        Assert.Equal(
            [(@"\xfe.txt", "name_not_utf8"), (@"\xff.txt", "name_not_utf8"), (@"back\\slash\xc3.txt", "name_not_utf8"), ("fifo", "special_file"), ("link", "symbolic_link")],
            RefusedEntries(json).OrderBy(r => r.Path, StringComparer.Ordinal));
        Assert.Equal(5, json.RootElement.GetProperty("refusedOutputs").GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("read-only")]
    [InlineData("full")]
    public async Task Run_ResultsDiskReadOnlyOrFull_TaskEndsResultsUnwritableAndReadinessSaysSoUntilItRecovers(string trouble)
    {
        var code = fixture.WriteCode(Unique("unwritable"), "open('/tmp/out/result.bin', 'wb').write(b'r' * 300000)\nprint('wrote', flush=True)\n");
        var data = fixture.WriteData(Unique("unwritable") + ".txt", "x");
        var results = Path.Combine(fixture.Root, Unique("small-results"));
        Directory.CreateDirectory(results);
        await MountAsync("-t", "tmpfs", "-o", "size=1m,mode=0750", "tmpfs", results);
        try
        {
            var port = FreePort();
            await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_RESULTS_ROOT", results), ("TASKER_HTTP_BIND", $"127.0.0.1:{port}")));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var filler = Path.Combine(results, "filler");
            if (trouble == "read-only")
            {
                await MountAsync("-o", "remount,ro", results);
            }
            else
            {
                // Every block taken: the next write anywhere on the results disk fails with ENOSPC.
                await using var fill = File.Create(filler);
                try
                {
                    while (true)
                    {
                        await fill.WriteAsync(new byte[4096]);
                        await fill.FlushAsync();
                    }
                }
                catch (IOException)
                {
                    // Full.
                }
            }

            var done = await tasker.RunAsync(new StartMessage(Unique("unwritable"), code, data));

            Assert.Equal(TaskStates.Error, done.State);
            Assert.Equal("results_unwritable", done.Reason);
            Assert.Contains(results, done.Output, StringComparison.Ordinal);
            Assert.Equal("wrote\n", done.ContainerOutput!.Stdout);
            Assert.Contains("execve(", done.ContainerOutput.Strace, StringComparison.Ordinal);
            Assert.Null(done.OutputFolder);
            // Nothing half-stored is left in the results root.
            Assert.Equal(trouble == "full" ? ["filler"] : [], Directory.GetFileSystemEntries(results).Select(Path.GetFileName));
            await tasker.WaitUntilAsync(async () => (await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(30), "/health/ready to answer 503");
            var detailed = await (await http.GetAsync($"http://127.0.0.1:{port}/health/detailed")).Content.ReadAsStringAsync();
            Assert.Contains(results, detailed, StringComparison.Ordinal);

            if (trouble == "read-only")
            {
                await MountAsync("-o", "remount,rw", results);
            }
            else
            {
                File.Delete(filler);
            }

            await tasker.WaitUntilAsync(async () => (await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30), "/health/ready to answer 200 again");
            var after = await tasker.RunAsync(new StartMessage(Unique("writable-again"), code, data));
            Assert.Equal(TaskStates.Success, after.State);
            Assert.Equal(300000, Assert.Single(after.OutputFiles!).Size);
        }
        finally
        {
            await MountAsync("-l", results, umount: true);
        }
    }

    private static List<(string Path, string Reason)> RefusedEntries(JsonDocument done) =>
        [.. done.RootElement.GetProperty("refusedOutputs").GetProperty("entries").EnumerateArray()
            .Select(e => (e.GetProperty("path").GetString()!, e.GetProperty("reason").GetString()!))];

    /// <summary>A counter's value in a Prometheus exposition; 0 when it was never incremented (not listed).</summary>
    private static long Counter(string metrics, string name)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(name) + @"(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private static async Task MountAsync(params string[] args) => await MountAsync(args, umount: false);

    private static async Task MountAsync(string[] args, bool umount)
    {
        var start = new ProcessStartInfo(umount ? "umount" : "mount") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{start.FileName} {string.Join(' ', args)}: {stderr}");
    }

    private static Task MountAsync(string flag, string path, bool umount) => MountAsync([flag, path], umount);

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
