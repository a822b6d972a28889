using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Classification;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;

namespace DataExchangeTasker.Tests.Sandbox.Classification;

public sealed class ResultClassifierTests
{
    private static readonly EffectiveLimits Limits = new(TimeSpan.FromSeconds(30), 256L * 1024 * 1024, 1, 64);
    private static readonly DateTimeOffset Started = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    private static CollectedStream Stream(string text, bool truncated = false) => new(new BoundedText(text, truncated), text.Length, CollectedStream.EmptySha256);

    private static ContainerRun Run(long? exit, bool timedOut = false, bool oom = false, bool truncateStdout = false, bool truncateStrace = false,
        SupervisorManifest? manifest = null, ExtractedOutputs? outputs = null) => new(
        "abc", timedOut, oom, Started, Started.AddSeconds(1.5), 1500, 1234,
        new SupervisorResults(Stream("out", truncateStdout), Stream("err"), Stream("trace", truncateStrace),
            manifest ?? new SupervisorManifest((int?)exit, TraceComplete: true, TimedOut: false, PathChanged: false, Survivors: false)),
        outputs ?? ExtractedOutputs.Empty, outputs is { Files.Count: > 0 } ? "/results/tasker-abc" : null, null);

    private static ContainerRun Witnessed(ContainerRun run, string[] traced, string[] seen) => run with
    {
        Results = run.Results! with { TraceSummary = new DataExchangeTasker.Governance.Trace.TraceSummaryBuilder().Build() with { DataRead = traced, DataReadAll = null } },
        Witness = new DataExchangeTasker.Protocol.WitnessSummary(DataExchangeTasker.Protocol.WitnessSummary.Fanotify)
        {
            DataRead = seen, Capped = false, Unattributed = 0, RuntimeOpens = 0, EventsLost = false, StandsIn = false,
        },
    };

    [Fact]
    public void Classify_WitnessSawAFileTheTraceLacks_IsTraceIncompleteNamingItWithOutputKept()
    {
        var run = Witnessed(Run(0), ["/tmp/data/a"], ["/tmp/data/a", "/tmp/data/hidden"]);

        var done = ResultClassifier.Classify("t1", Limits, run);

        Assert.Equal((TaskStates.Error, Reasons.TraceIncomplete), (done.State, done.Reason));
        Assert.Contains("/tmp/data/hidden", done.Output, StringComparison.Ordinal);
        Assert.Equal("out", done.ContainerOutput!.Stdout);
        Assert.Equal(["/tmp/data/a", "/tmp/data/hidden"], done.TraceSummary!.Witness!.DataRead);
        Assert.Equal(0, done.ExitCode);
    }

    [Fact]
    public void Classify_WitnessAgrees_StaysSuccessWithTheWitnessInTheSummary()
    {
        var done = ResultClassifier.Classify("t1", Limits, Witnessed(Run(0), ["/tmp/data/a"], ["/tmp/data/a"]));

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("", done.Output);
        Assert.Equal(["/tmp/data/a"], done.TraceSummary!.Witness!.DataRead);
    }

    [Fact]
    public void Classify_ExitCodeAndHiddenRead_IsTraceIncompleteAndKeepsTheExitSentence()
    {
        var done = ResultClassifier.Classify("t1", Limits, Witnessed(Run(3), [], ["/tmp/data/hidden"]));

        Assert.Equal(Reasons.TraceIncomplete, done.Reason);
        Assert.Contains("/tmp/data/hidden", done.Output, StringComparison.Ordinal);
        Assert.EndsWith("Container exited with an error. Status code: 3", done.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_TimeoutAndHiddenRead_KeepsTimeoutAndAddsTheWitnessSentence()
    {
        var done = ResultClassifier.Classify("t1", Limits, Witnessed(Run(137, timedOut: true), [], ["/tmp/data/hidden"]));

        Assert.Equal(Reasons.Timeout, done.Reason);
        Assert.Contains("/tmp/data/hidden", done.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_RunWithoutWitness_SaysTheWitnessWasOff()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(0) with { Results = Run(0).Results! with { TraceSummary = new DataExchangeTasker.Governance.Trace.TraceSummaryBuilder().Build() } });

        Assert.Equal(DataExchangeTasker.Protocol.WitnessSummary.Off, done.TraceSummary!.Witness!.Method);
        Assert.Equal(TaskStates.Success, done.State);
    }

    [Fact]
    public void Classify_ExitZeroButTraceIncomplete_IsErrorTraceIncomplete()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(0, manifest: new SupervisorManifest(0, TraceComplete: false, false, false, Survivors: true)));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.TraceIncomplete, done.Reason);
        Assert.Contains("outlived its tracer", done.Output, StringComparison.Ordinal);
        Assert.Equal(0, done.ExitCode);
    }

    [Fact]
    public void Classify_ExitZeroButTraceMisreported_IsErrorTraceIncompleteNamingGvisor()
    {
        var manifest = new SupervisorManifest(0, TraceComplete: false, false, false, Survivors: false) { Misreported = true };

        var done = ResultClassifier.Classify("t1", Limits, Run(0, manifest: manifest));

        Assert.Equal((TaskStates.Error, Reasons.TraceIncomplete), (done.State, done.Reason));
        Assert.Contains("gVisor", done.Output, StringComparison.Ordinal);
        Assert.Contains("ENOSYS", done.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ExitZeroTraceWithoutTheCodesStartOrEnd_SaysSo()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(0, manifest: new SupervisorManifest(0, TraceComplete: false, false, false, Survivors: false)));

        Assert.Equal((TaskStates.Error, Reasons.TraceIncomplete), (done.State, done.Reason));
        Assert.Contains("does not show the interpreter's start and the code's end", done.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_NoResultsCollected_IsErrorTraceIncompleteSayingWhy()
    {
        var run = new ContainerRun("abc", false, false, Started, null, 10, null, null, null, null, "the container ended before its results were collected");

        var done = ResultClassifier.Classify("t1", Limits, run);

        Assert.Equal(Reasons.TraceIncomplete, done.Reason);
        Assert.EndsWith("the container ended before its results were collected", done.Output, StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
        Assert.Null(done.OutputFiles);
    }

    [Fact]
    public void Classify_PathChanged_IsRejectedWithoutOutput()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(null, manifest: new SupervisorManifest(null, true, false, PathChanged: true, false)));

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.PathChanged, done.Reason);
        Assert.Null(done.ContainerOutput);
    }

    [Fact]
    public void Classify_ManifestOomKilled_IsOom()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(137, manifest: new SupervisorManifest(137, true, false, false, false) { OomKilled = true }));

        Assert.Equal(Reasons.Oom, done.Reason);
    }

    [Fact]
    public void Classify_OutputFiles_AreListedWithTheirFolderAndTruncation()
    {
        var files = new[] { new OutputFile("a.txt", 3, "ab") };

        var done = ResultClassifier.Classify("t1", Limits, Run(0, outputs: new ExtractedOutputs(files, true, new RefusedOutputs(1, [new RefusedOutput("link", RefusalReasons.SymbolicLink)]))));

        Assert.Equal("/results/tasker-abc", done.OutputFolder);
        Assert.Equal(files, done.OutputFiles);
        Assert.True(done.Truncated!.Files);
    }

    [Fact]
    public void Classify_ExitZero_IsSuccessWithEmptyOutput()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(0));

        Assert.Equal("t1", done.TaskId);
        Assert.Equal(TaskStates.Success, done.State);
        Assert.Null(done.Reason);
        Assert.Equal("", done.Output);
        Assert.Equal(0, done.ExitCode);
        Assert.Null(done.Signal);
        Assert.Equal(new ContainerOutput("out", "err", "trace"), done.ContainerOutput);
        Assert.Equal(1500, done.DurationMs);
        Assert.Equal(Started, done.StartedAt);
        Assert.Equal(Started.AddSeconds(1.5), done.FinishedAt);
        Assert.Equal(1234, done.PeakMemoryBytes);
        Assert.Equal(TruncatedStreams.None, done.Truncated);
    }

    [Fact]
    public void Classify_ExitThree_IsExitCodeWithTheV01Sentence()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(3));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.ExitCode, done.Reason);
        Assert.Equal("Container exited with an error. Status code: 3", done.Output);
        Assert.Equal(3, done.ExitCode);
        Assert.Null(done.Signal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(255)]
    public void Classify_NonSignalFailure_IsExitCode(long exit)
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(exit));

        Assert.Equal(Reasons.ExitCode, done.Reason);
        Assert.Equal($"Container exited with an error. Status code: {exit}", done.Output);
        Assert.Null(done.Signal);
    }

    [Fact]
    public void Classify_TimedOut_IsTimeoutWithSigkill()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(137, timedOut: true));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Timeout, done.Reason);
        Assert.Equal("SIGKILL", done.Signal);
        Assert.Equal("The task ran longer than its time limit of 30 s and was killed.", done.Output);
        Assert.Equal(new ContainerOutput("out", "err", "trace"), done.ContainerOutput);
    }

    [Fact]
    public void Classify_TimedOutWithoutExitStatus_IsStillTimeout()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(null, timedOut: true));

        Assert.Equal(Reasons.Timeout, done.Reason);
        Assert.Null(done.ExitCode);
        Assert.Equal("SIGKILL", done.Signal);
    }

    [Fact]
    public void Classify_OomKilled_IsOomNamingTheLimit()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(137, oom: true));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Oom, done.Reason);
        Assert.Equal("SIGKILL", done.Signal);
        Assert.Equal("The task ran out of memory (limit 256 MiB) and was killed.", done.Output);
    }

    [Fact]
    public void Classify_OomKilledButExitedZero_IsStillOom()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(0, oom: true));

        Assert.Equal(Reasons.Oom, done.Reason);
    }

    [Theory]
    [InlineData(139, "SIGSEGV")]
    [InlineData(137, "SIGKILL")]
    [InlineData(134, "SIGABRT")]
    [InlineData(143, "SIGTERM")]
    [InlineData(129, "SIGHUP")]
    [InlineData(159, "SIGSYS")]
    public void Classify_StatusAbove128_IsSignalNamingIt(long exit, string signal)
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(exit));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Signal, done.Reason);
        Assert.Equal(signal, done.Signal);
        Assert.Equal((int)exit, done.ExitCode);
        Assert.Equal($"Container exited with an error. The code was killed by {signal} (status code: {exit}).", done.Output);
    }

    [Fact]
    public void Classify_TruncatedStreams_AreCopied()
    {
        var done = ResultClassifier.Classify("t1", Limits, Run(0, truncateStdout: true, truncateStrace: true));

        Assert.Equal(new TruncatedStreams(true, false, true), done.Truncated);
    }

    [Theory]
    [InlineData(128, null)]
    [InlineData(160, null)]
    [InlineData(0, null)]
    [InlineData(-1, null)]
    [InlineData(137, "SIGKILL")]
    [InlineData(139, "SIGSEGV")]
    public void FromExitCode_Status_MapsOnlyTheSignalRange(long exit, string? expected)
    {
        Assert.Equal(expected, SignalNames.FromExitCode(exit));
    }
}
