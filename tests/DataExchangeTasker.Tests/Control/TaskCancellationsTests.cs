using DataExchangeTasker.Control;

namespace DataExchangeTasker.Tests.Control;

public sealed class TaskCancellationsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cancellations-").FullName;

    [Fact]
    public void Cancel_WatchedTask_SignalsItAndReportsRunning()
    {
        var cancellations = new TaskCancellations(new CancelMemory(_root, TimeSpan.FromHours(1)));
        using var watch = cancellations.Watch("t1");

        Assert.True(cancellations.Cancel("t1"));
        Assert.True(watch.IsRequested);
    }

    [Fact]
    public void Cancel_UnwatchedTask_IsRememberedOnly()
    {
        var cancellations = new TaskCancellations(new CancelMemory(_root, TimeSpan.FromHours(1)));
        using (cancellations.Watch("t1"))
        {
        }

        Assert.False(cancellations.Cancel("t1"));
        Assert.True(cancellations.IsCancelled("t1"));
        Assert.False(cancellations.IsCancelled("t2"));
    }

    [Theory]
    [InlineData("{\"cancel\": \"abc\"}", "abc")]
    [InlineData("{\"cancel\": \"\"}", null)]
    [InlineData("{\"cancel\": 5}", null)]
    [InlineData("[\"cancel\"]", null)]
    [InlineData("not json", null)]
    public void TaskIdOf_Body_ReadsOnlyACancelMessage(string body, string? expected) =>
        Assert.Equal(expected, ControlListener.TaskIdOf(System.Text.Encoding.UTF8.GetBytes(body)));

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
