using System.Text;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Resilience;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Tests.Support;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

/// <summary>Regression tests for inputs that once hung or crashed a worker slot.</summary>
public sealed class TaskProcessorUtf8Tests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TaskMetrics _metrics = new();
    private readonly FakeDockerEngine _docker = new();

    public void Dispose()
    {
        _metrics.Dispose();
        _temp.Dispose();
    }

    private TaskProcessor Processor()
    {
        var options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        _temp.WriteFile("code/demo1_code/run.py", "print('hi')\n");
        _temp.CreateFolder("data/demo1_data");
        var runner = new SandboxRunner(_docker, options, new ContainerSpecFactory(options, "h"), "h", Logger.None, _metrics);
        return new TaskProcessor(new TaskPreparer(options), runner, new ClaimedContainers(), new AnswerLedger(options.WorkRoot), RetryPipelines.EngineCalls(3).WithoutDelays(), Logger.None);
    }

    private static InboundDelivery Delivery(byte[] body) => new(body, false, null, null, null, null, new RecordingSettlement());

    [Fact]
    public async Task ProcessAsync_InvalidUtf8TaskId_IsDeadLetteredInsteadOfThrowing()
    {
        byte[] body = [.. "{\"taskId\":\""u8, 0xff, .. "\",\"codePath\":\"demo1_code\",\"dataPath\":\"demo1_data\"}"u8];

        var outcome = await Processor().ProcessAsync(Delivery(body), CancellationToken.None);

        Assert.IsType<DeadLetterOutcome>(outcome);
    }

    [Fact]
    public void UnexpectedFailureOutcome_InvalidUtf8Body_DoesNotThrow()
    {
        byte[] body = [.. "{\"taskId\":\""u8, 0xff, .. "\"}"u8];

        var outcome = UnexpectedFailure.Outcome(Delivery(body), new InvalidOperationException("x"));

        Assert.IsType<DeadLetterOutcome>(outcome);
    }
}
