using System.Text;
using System.Text.Json;
using DataExchangeTasker.Api.Http;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Api;

/// <summary>
/// Issue 22, defect 6: what the api accepts, the worker runs (or answers for a reason of the file system), never
/// refuses as a malformed start message: the api's <see cref="SubmissionReader"/>, the worker's
/// <see cref="StartMessageParser"/> and the <see cref="TaskPreparer"/>'s limit checks share one rule source.
/// </summary>
public sealed class StartMessageAgreementTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Submission? ReadSubmission(string json, out ApiError? error)
    {
        using var document = JsonDocument.Parse(json);
        return SubmissionReader.Read(document.RootElement, false, out error);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("\t ")]
    public void Read_WhitespaceTaskId_IsRefusedLikeTheWorkerRefusesIt(string taskId)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["taskId"] = taskId, ["codePath"] = "c", ["dataPath"] = "d" });
        Assert.IsType<UnusableStart>(StartMessageParser.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Null(ReadSubmission(json, out var error));
        Assert.Equal("taskId", error!.Field);
    }

    [Theory]
    [InlineData("pids", 7)]
    [InlineData("pids", 1)]
    [InlineData("memoryBytes", 1024 * 1024)]
    [InlineData("memoryBytes", 6 * 1024 * 1024 - 1)]
    [InlineData("cpus", 0.001)]
    public async Task Read_LimitBelowTheWorkersMinimum_IsRefusedLikeThePreparerRefusesIt(string field, double value)
    {
        var options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        _temp.WriteFile("code/c/run.py", "print(1)\n");
        _temp.WriteFile("data/d", "x\n");
        var limits = field switch
        {
            "pids" => new TaskLimits(Pids: (int)value),
            "memoryBytes" => new TaskLimits(MemoryBytes: (long)value),
            _ => new TaskLimits(Cpus: value),
        };
        var (_, rejection) = await new TaskPreparer(options).PrepareAsync(new StartMessage("t", "c", "d", null, limits), CancellationToken.None);
        Assert.Equal(Reasons.InvalidMessage, rejection?.Reason);

        var json = "{\"codePath\":\"c\",\"dataPath\":\"d\",\"limits\":{\"" + field + "\":" + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}";
        Assert.Null(ReadSubmission(json, out var error));
        Assert.Equal("limits." + field, error!.Field);
    }

    [Theory]
    [InlineData("pids", 8)]
    [InlineData("memoryBytes", 6 * 1024 * 1024)]
    [InlineData("cpus", 0.01)]
    [InlineData("timeoutSeconds", 1)]
    public void Read_LimitAtTheWorkersMinimum_IsAccepted(string field, double value)
    {
        var json = "{\"codePath\":\"c\",\"dataPath\":\"d\",\"limits\":{\"" + field + "\":" + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}";
        Assert.NotNull(ReadSubmission(json, out var error));
        Assert.Null(error);
    }
}
