using System.Text.Json;
using System.Text.Json.Nodes;
using DataExchangeTasker.Control;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Protocol;

public sealed class V02DoneConverterTests
{
    [Fact]
    public void From_ErrorWithContainer_FailsInExecutingAlgorithmWithOutput()
    {
        var done = new DoneMessage("t", TaskStates.Error, "boom", new ContainerOutput("o", "e", "s"), 3, Reasons.ExitCode, 10);

        var v02 = V02DoneConverter.From(done);

        Assert.Equal("Error", v02.State.Name);
        Assert.Equal("boom", v02.State.Message);
        Assert.Equal(new V02Output("o", "e", "s"), v02.State.Output);
        Assert.Equal("ExecutingAlgorithm", v02.State.FailedStep!.Name);
    }

    [Fact]
    public void From_CancelledBeforeStart_FailsInCreatingContainer()
    {
        var v02 = V02DoneConverter.From(CancelledAnswer.NotStarted("t"));

        Assert.Equal("Error", v02.State.Name);
        Assert.Equal("CreatingContainer", v02.State.FailedStep!.Name);
    }

    [Fact]
    public void From_Rejected_CarriesReasonOnly()
    {
        var json = JsonSerializer.Serialize(V02DoneConverter.From(DoneMessage.Rejected("t", Reasons.PathNotFound, "no such code")), V02JsonContext.Default.V02Message);

        Assert.Equal("{\"taskId\":\"t\",\"state\":{\"name\":\"Rejected\",\"reason\":\"no such code\"}}", json);
    }

    [Theory]
    [InlineData("done-v0.2/running.json")]
    [InlineData("done-v0.2/success.json")]
    [InlineData("done-v0.2/error.json")]
    [InlineData("done-v0.2/rejected.json")]
    [InlineData("progress/executing.json")]
    public void Deserialize_EveryV02AndProgressExample_RoundTripsWithoutLoss(string example)
    {
        var text = File.ReadAllText(Path.Combine(ProtocolDirectory(), "examples", example));
        var roundTripped = example.StartsWith("progress", StringComparison.Ordinal)
            ? JsonSerializer.Serialize(JsonSerializer.Deserialize(text, ControlJsonContext.Default.ProgressMessage)!, ControlJsonContext.Default.ProgressMessage)
            : JsonSerializer.Serialize(JsonSerializer.Deserialize(text, V02JsonContext.Default.V02Message)!, V02JsonContext.Default.V02Message);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(text), JsonNode.Parse(roundTripped)), roundTripped);
    }

    private static string ProtocolDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataExchangeTasker.sln")))
            {
                return Path.Combine(dir.FullName, "protocol");
            }
        }

        throw new InvalidOperationException("No DataExchangeTasker.sln above " + AppContext.BaseDirectory);
    }
}
