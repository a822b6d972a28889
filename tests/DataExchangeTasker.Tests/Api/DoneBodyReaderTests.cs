using System.Text;
using DataExchangeTasker.Api.Messaging;

namespace DataExchangeTasker.Tests.Api;

public sealed class DoneBodyReaderTests
{
    private static ReadOnlyMemory<byte> B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Read_V1Done_ReturnsStateReasonTimesAndDigest()
    {
        var r = DoneBodyReader.Read(B("""{"taskId":"t","state":"error","reason":"timeout","durationMs":12,"finishedAt":"2026-01-01T00:00:01+00:00"}"""), 5, out var problem, out var running)!;
        Assert.Null(problem);
        Assert.Null(running);
        Assert.Equal(("t", "error", "timeout", 12L), (r.TaskId, r.State, r.Reason, r.DurationMs!.Value));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero).ToUnixTimeMilliseconds(), r.FinishedAt);
        Assert.Equal(64, r.Digest.Length);
    }

    [Fact]
    public void Read_V02Shapes_RunningIsProgressAndSuccessIsFinal()
    {
        Assert.Null(DoneBodyReader.Read(B("""{"taskId":"t","state":{"name":"Running","currentStepIndex":1}}"""), 5, out _, out var running));
        Assert.Equal("t", running);
        Assert.Equal("success", DoneBodyReader.Read(B("""{"taskId":"t","state":{"name":"Success"}}"""), 5, out _, out _)!.State);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"state":"success"}""")]
    [InlineData("""{"taskId":"t","state":"weird"}""")]
    [InlineData("""{"taskId":"\ud800","state":"success"}""")]
    public void Read_Unusable_ReturnsNullWithProblem(string body)
    {
        Assert.Null(DoneBodyReader.Read(B(body), 5, out var problem, out _));
        Assert.NotNull(problem);
    }
}
