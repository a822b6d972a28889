using System.Text.Json;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.IntegrationTests.Cli;

/// <summary>The <c>tasker</c> binary's commands, run as a user would, against a running tasker.</summary>
[Collection(TaskerCollection.Name)]
public sealed class CommandLineTests(TaskerFixture fixture)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SubmitWait_SuccessfulTask_PrintsDoneMessageAndExitsZero()
    {
        var code = fixture.WriteCode("cli-ok", "print('from the cli')\n");
        var data = fixture.WriteData("cli-ok.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await using var submit = TaskerProcess.Start(Broker(tasker), "submit", "--code", code, "--data", data, "--task-id", "cli-1", "--wait", "--timeout", "60");
        var exit = await submit.WaitForExitAsync(Limit);

        Assert.Equal(0, exit);
        var json = submit.Output[submit.Output.IndexOf('{', StringComparison.Ordinal)..];
        var done = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.DoneMessage)!;
        Assert.Equal("cli-1", done.TaskId);
        Assert.Equal("from the cli\n", done.ContainerOutput!.Stdout);
        // submit --wait listens on its own reply queue: tasker_done still holds the task's done message.
        Assert.Equal(1u, await fixture.Broker.MessageCountAsync(tasker.Options.Messaging.DoneQueue));
    }

    [Fact]
    public async Task SubmitWait_RejectedAndFailingTasks_ExitTwoAndOne()
    {
        var failing = fixture.WriteCode("cli-fail", "import sys\nsys.exit(5)\n");
        var data = fixture.WriteData("cli-fail.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await using var rejected = TaskerProcess.Start(Broker(tasker), "submit", "--code", "../etc", "--data", data, "--wait", "--timeout", "60");
        Assert.Equal(2, await rejected.WaitForExitAsync(Limit));
        Assert.Contains("\"reason\": \"path_not_allowed\"", rejected.Output, StringComparison.Ordinal);

        await using var error = TaskerProcess.Start(Broker(tasker), "submit", "--code", failing, "--data", data, "--wait", "--timeout", "60");
        Assert.Equal(1, await error.WaitForExitAsync(Limit));
        Assert.Contains("Status code: 5", error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunCheck_UnreachableBroker_NamesTheUriAndExitsOne()
    {
        var env = new Dictionary<string, string?>
        {
            ["TASKER_AMQP_URI"] = "amqp://guest:secret@127.0.0.1:1/",
            ["TASKER_CODE_ROOT"] = fixture.CodeRoot,
            ["TASKER_DATA_ROOT"] = fixture.DataRoot,
            ["TASKER_WORK_ROOT"] = Path.Combine(fixture.Root, "check-work"),
        };

        await using var check = TaskerProcess.Start(env, "run", "--check");

        Assert.Equal(1, await check.WaitForExitAsync(Limit));
        Assert.Contains("FAIL  broker amqp://guest:***@127.0.0.1:1/", check.Output, StringComparison.Ordinal);
        Assert.Contains("TASKER_AMQP_URI", check.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", check.Output, StringComparison.Ordinal);
        Assert.Contains("ok    engine", check.Output, StringComparison.Ordinal);
        Assert.Contains("ok    runner image", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_InvalidSettings_NameEachSettingAndExitThree()
    {
        var env = new Dictionary<string, string?>
        {
            ["TASKER_AMQP_URI"] = "http://not-amqp",
            ["TASKER_CODE_ROOT"] = fixture.CodeRoot,
            ["TASKER_DATA_ROOT"] = fixture.DataRoot,
            ["TASKER_CONCURRENCY"] = "lots",
        };

        await using var run = TaskerProcess.Start(env, "run");

        Assert.Equal(3, await run.WaitForExitAsync(Limit));
        Assert.Contains("TASKER_AMQP_URI=\"http://not-amqp\" is invalid", run.Output, StringComparison.Ordinal);
        Assert.Contains("TASKER_CONCURRENCY=\"lots\" is invalid: expected a whole number from 1 to 256", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FlagOverridesEnvironment()
    {
        var env = new Dictionary<string, string?>
        {
            ["TASKER_CODE_ROOT"] = fixture.CodeRoot,
            ["TASKER_DATA_ROOT"] = fixture.DataRoot,
            ["TASKER_CONCURRENCY"] = "lots",
        };

        await using var run = TaskerProcess.Start(env, "run", "--concurrency", "0");

        Assert.Equal(3, await run.WaitForExitAsync(Limit));
        Assert.Contains("TASKER_CONCURRENCY=\"0\" is invalid", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hash_CodeFolder_PrintsTheETagTheTaskerChecks()
    {
        var code = fixture.WriteCode("cli-hash", "print('hash me')\n");

        await using var hash = TaskerProcess.Start(new Dictionary<string, string?>(), "hash", Path.Combine(fixture.CodeRoot, code));

        Assert.Equal(0, await hash.WaitForExitAsync(Limit));
        Assert.Equal(await CodeHasher.HashAsync(Path.Combine(fixture.CodeRoot, code), CancellationToken.None), hash.Output.Trim());
    }

    [Fact]
    public async Task Version_PrintsTheAssemblyVersion()
    {
        await using var version = TaskerProcess.Start(new Dictionary<string, string?>(), "--version");

        Assert.Equal(0, await version.WaitForExitAsync(Limit));
        Assert.Equal(ThisAssembly.Version, version.Output.Trim());
    }

    private static Dictionary<string, string?> Broker(InProcessTasker tasker) => new()
    {
        ["TASKER_AMQP_URI"] = tasker.Options.Messaging.AmqpUri.ToString(),
        ["TASKER_TODO_QUEUE"] = tasker.Options.Messaging.TodoQueue,
        ["TASKER_DONE_QUEUE"] = tasker.Options.Messaging.DoneQueue,
    };
}
