using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Pipeline;

/// <summary>The walking skeleton: start message → traced, sandboxed container → done message.</summary>
[Collection(TaskerCollection.Name)]
public sealed class EndToEndTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_DemoTask_SucceedsWithExpectedStdoutAndTrace()
    {
        TaskerFixture.CopyExample("demo1_code", fixture.CodeRoot);
        TaskerFixture.CopyExample("demo1_data", fixture.DataRoot);
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("demo-1", "demo1_code", "demo1_data"));

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("", done.Output);
        Assert.Null(done.Reason);
        Assert.Equal(0, done.ExitCode);
        Assert.Equal("Average fortune: 100350000000.0 of 4 people\n", done.ContainerOutput!.Stdout);
        Assert.Contains("execve(", done.ContainerOutput.Strace, StringComparison.Ordinal);
        Assert.Contains("/tmp/data/demo1_data", done.ContainerOutput.Strace, StringComparison.Ordinal);
        Assert.True(done.DurationMs > 0);
        Assert.NotNull(done.StartedAt);
        Assert.True(done.FinishedAt >= done.StartedAt);
    }

    [Fact]
    public async Task Run_ScriptExitingThree_EndsErrorWithExitCodeAndStderr()
    {
        var code = fixture.WriteCode("exit3", "import sys\nprint('partial result')\nprint('something broke', file=sys.stderr)\nsys.exit(3)\n");
        var data = fixture.WriteData("exit3.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("exit-3", code, data));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.ExitCode, done.Reason);
        Assert.Equal(3, done.ExitCode);
        Assert.Equal("Container exited with an error. Status code: 3", done.Output);
        Assert.Equal("something broke\n", done.ContainerOutput!.Stderr);
        Assert.Equal("partial result\n", done.ContainerOutput.Stdout);
    }

    [Fact]
    public async Task Run_MissingCodePath_IsRejectedWithoutCreatingAContainer()
    {
        var data = fixture.WriteData("missing-code.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("missing-1", "no_such_code", data));

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.PathNotFound, done.Reason);
        Assert.Contains("codePath \"no_such_code\"", done.Output, StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
        Assert.Null(done.ExitCode);
        Assert.Empty(await tasker.ContainersAsync(fixture));
    }

    [Fact]
    public async Task Run_FolderWithSpaceAndNonAsciiName_Works()
    {
        var code = fixture.WriteCode("my code ü", "import sys, os\nprint(os.path.basename(sys.argv[1]))\nprint(open(sys.argv[1], encoding='utf-8').read())\n");
        var data = fixture.WriteData("data dir/résumé 1.txt", "héllo");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("space-1", code, data));

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("résumé 1.txt\nhéllo\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_SinglePyFileAsCodePath_Works()
    {
        File.WriteAllText(Path.Combine(fixture.CodeRoot, "count lines.py"), "import sys\nprint(len(open(sys.argv[1]).read().splitlines()))\n");
        var data = fixture.WriteData("three-lines.txt", "a\nb\nc\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("single-file", "count lines.py", data));

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("3\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_TenTasksPublishedAtOnce_EachGetsExactlyOneDoneMessage()
    {
        var code = fixture.WriteCode("echo-arg", "import sys\nprint('ran', sys.argv[1])\n");
        var data = fixture.WriteData("ten.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { ["TASKER_CONCURRENCY"] = "4" });

        var ids = Enumerable.Range(1, 10).Select(i => $"burst-{i}").ToList();
        await Task.WhenAll(ids.Select(id => tasker.PublishAsync(new StartMessage(id, code, data))));
        var results = await tasker.CollectResultsAsync(10, TimeSpan.FromSeconds(120));

        Assert.Equal(ids.Order(StringComparer.Ordinal), results.Select(r => r.TaskId).Order(StringComparer.Ordinal));
        Assert.All(results, r => Assert.Equal(TaskStates.Success, r.State));
        // Nothing extra arrives: exactly one done per start message.
        // Containers go once their answers are out and acknowledged.
        await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Count == 0, TimeSpan.FromSeconds(30), "the containers to be removed");
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(tasker.Options.Messaging.DoneQueue));
        Assert.True(tasker.Leftovers().Count == 0, "left on the host: " + string.Join(", ", tasker.Leftovers()));
    }

    [Fact]
    public async Task Run_DoneMessage_IsPersistentJsonWithTaskIdAsCorrelationId()
    {
        var code = fixture.WriteCode("props", "print('ok')\n");
        var data = fixture.WriteData("props.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await tasker.PublishAsync(new StartMessage("props-1", code, data));
        var message = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(60)))[0];

        Assert.True(message.Persistent);
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal("props-1", message.CorrelationId);
    }
}
