using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Protocol;

public sealed class ProtocolJsonTests
{
    private static DoneMessage FullDone(string stdout = "hello\n") =>
        new("task-1", TaskStates.Error, "Container exited with an error. Status code: 3",
            new ContainerOutput(stdout, "boom", "execve(\"/usr/bin/python\", [\"python\"]) = 0\n"), 3, Reasons.ExitCode, 1333)
        {
            Signal = "SIGSEGV",
            StartedAt = new DateTimeOffset(2026, 11, 22, 9, 0, 0, 123, TimeSpan.Zero),
            FinishedAt = new DateTimeOffset(2026, 11, 22, 9, 0, 1, 456, TimeSpan.Zero),
            PeakMemoryBytes = 24379392,
            Truncated = new TruncatedStreams(true, false, true) { Files = true },
            OutputFolder = "/var/lib/dataexchange-tasker/results/host-task-1",
            OutputFiles = [new OutputFile("plots/a.png", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")],
        };

    [Fact]
    public void Done_FullMessage_WritesTheSameJsonAsTheSourceGeneratedContext()
    {
        var done = FullDone();

        var wire = JsonNode.Parse(JsonSerializer.Serialize(done, ProtocolJson.Done));
        var context = JsonNode.Parse(JsonSerializer.Serialize(done, ProtocolJsonContext.Default.DoneMessage));

        Assert.True(JsonNode.DeepEquals(wire, context), $"wire: {wire?.ToJsonString()}\ncontext: {context?.ToJsonString()}");
    }

    [Fact]
    public void Done_RejectedMessage_WritesEveryFieldWithNullsLikeTheContext()
    {
        var done = DoneMessage.Rejected("t", Reasons.PathNotFound, "codePath \"x\" does not exist under the code root.");

        var wire = JsonNode.Parse(JsonSerializer.Serialize(done, ProtocolJson.Done))!.AsObject();
        var context = JsonNode.Parse(JsonSerializer.Serialize(done, ProtocolJsonContext.Default.DoneMessage));

        Assert.True(JsonNode.DeepEquals(wire, context));
        foreach (var name in new[] { "containerOutput", "exitCode", "signal", "startedAt", "finishedAt", "peakMemoryBytes", "truncated", "outputFolder", "outputFiles" })
        {
            Assert.True(wire.ContainsKey(name), $"{name} is missing");
            Assert.Null(wire[name]);
        }
    }

    [Fact]
    public void Done_PropertyNames_AreExactlyTheCamelCaseProtocolNames()
    {
        var wire = JsonNode.Parse(JsonSerializer.Serialize(FullDone(), ProtocolJson.Done))!.AsObject();

        Assert.Equal(
            ["containerOutput", "durationMs", "exitCode", "finishedAt", "output", "outputFiles", "outputFolder", "peakMemoryBytes", "reason", "receipt", "receiptSignature", "refusedOutputs", "signal", "startedAt", "state", "taskId", "traceSummary", "truncated"],
            wire.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["stderr", "stdout", "strace"], wire["containerOutput"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["files", "stderr", "stdout", "strace"], wire["truncated"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["path", "sha256", "size"], wire["outputFiles"]![0]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Done_Timestamps_AreIso8601WithOffset()
    {
        var wire = JsonNode.Parse(JsonSerializer.Serialize(FullDone(), ProtocolJson.Done))!;

        Assert.Equal("2026-11-22T09:00:00.123+00:00", wire["startedAt"]!.GetValue<string>());
    }

    [Fact]
    public void Done_QuotesInStrace_AreWrittenAsEscapedQuotesNotUnicodeEscapes()
    {
        var json = JsonSerializer.Serialize(FullDone(), ProtocolJson.Done);

        Assert.Contains("execve(\\\"/usr/bin/python\\\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0022", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Done_HtmlSensitiveAndNonAsciiCharacters_AreNotEscaped()
    {
        var json = JsonSerializer.Serialize(FullDone("<a href='x'>&amp; Grüße</a>"), ProtocolJson.Done);

        Assert.Contains("<a href='x'>&amp; Grüße</a>", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Done_ControlCharacters_AreEscaped()
    {
        var json = JsonSerializer.Serialize(FullDone("a\u0000b\u001bc\td\ne\u007f"), ProtocolJson.Done);

        foreach (var raw in new[] { '\u0000', '\u001b', '\t', '\n' })
        {
            Assert.DoesNotContain(raw.ToString(), json, StringComparison.Ordinal);
        }

        Assert.Contains("a\\u0000b\\u001Bc\\td\\ne", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Done_WireJson_IsStrictJsonThatRoundTrips()
    {
        var done = FullDone("quote \" backslash \\ nul \u0000 emoji 😀 <>&");

        var json = JsonSerializer.Serialize(done, ProtocolJson.Done);
        using var strict = JsonDocument.Parse(Encoding.UTF8.GetBytes(json));
        var back = JsonSerializer.Deserialize(json, ProtocolJson.Done);

        Assert.NotNull(back);
        Assert.Equal(done.ContainerOutput, back.ContainerOutput);
        Assert.Equal(done.Truncated, back.Truncated);
        Assert.Equal(done.OutputFiles, back.OutputFiles);
        Assert.Equal(done with { ContainerOutput = back.ContainerOutput, Truncated = back.Truncated, OutputFiles = back.OutputFiles }, back);
    }

    [Fact]
    public void Done_ReadByTheContext_GivesTheSameMessage()
    {
        var done = FullDone();

        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(done, ProtocolJson.Done), ProtocolJsonContext.Default.DoneMessage);

        Assert.Equal(done.TaskId, back?.TaskId);
        Assert.Equal(done.StartedAt, back?.StartedAt);
        Assert.Equal(done.PeakMemoryBytes, back?.PeakMemoryBytes);
        Assert.Equal(done.Signal, back?.Signal);
    }

    [Fact]
    public void DoneIndented_IsIndentedAndOtherwiseTheSame()
    {
        var done = FullDone();

        var indented = JsonSerializer.Serialize(done, ProtocolJson.DoneIndented);

        Assert.Contains("\n  \"taskId\": \"task-1\"", indented.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(indented), JsonNode.Parse(JsonSerializer.Serialize(done, ProtocolJson.Done))));
    }

    [Fact]
    public void Rejected_Factory_SetsStateReasonAndNoRunFields()
    {
        var done = DoneMessage.Rejected("t", Reasons.HashMismatch, "why");

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.HashMismatch, done.Reason);
        Assert.Equal("why", done.Output);
        Assert.Null(done.ContainerOutput);
        Assert.Null(done.ExitCode);
        Assert.Null(done.Truncated);
        Assert.Equal(0, done.DurationMs);
    }
}
