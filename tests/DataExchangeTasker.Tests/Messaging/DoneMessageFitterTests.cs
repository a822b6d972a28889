using System.Text.Json;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Messaging;

public sealed class DoneMessageFitterTests
{
    private static DoneMessage Done(string stdout, string stderr, string strace) =>
        new("t-1", TaskStates.Success, "", new ContainerOutput(stdout, stderr, strace), 0, null, 5) { Truncated = TruncatedStreams.None };

    [Fact]
    public void Fit_SmallEnough_IsUnchanged()
    {
        var done = Done("a", "b", "c");

        var (fitted, body, trimmed) = DoneMessageFitter.Fit(done, 10_000);

        Assert.False(trimmed);
        Assert.Same(done, fitted);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(done, ProtocolJson.Done), body);
    }

    [Fact]
    public void Fit_StreamsTooLong_CutsTheLongestKeepingTheirStartAndSetsFlags()
    {
        var done = Done(new string('o', 50_000), new string('e', 20_000), new string('s', 30_000));

        var (fitted, body, trimmed) = DoneMessageFitter.Fit(done, 40_000);

        Assert.True(trimmed);
        Assert.True(body.Length <= 40_000, body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith("ooo", fitted.ContainerOutput!.Stdout, StringComparison.Ordinal);
        Assert.True(fitted.Truncated!.Stdout);
        Assert.Equal(fitted.ContainerOutput.Stderr.Length < 20_000, fitted.Truncated.Stderr);
        Assert.Equal(fitted.ContainerOutput.Strace.Length < 30_000, fitted.Truncated.Strace);
    }

    [Fact]
    public void Fit_CharactersThatEscapeLong_StillFits()
    {
        var done = Done(new string('\u0001', 30_000), "", "");

        var (_, body, trimmed) = DoneMessageFitter.Fit(done, 10_000);

        Assert.True(trimmed);
        Assert.True(body.Length <= 10_000);
    }

    [Fact]
    public void Fit_SurrogatePairAtTheCut_IsNotSplit()
    {
        var done = Done(string.Concat(Enumerable.Repeat("\U0001F600", 10_000)), "", "");

        var (fitted, body, _) = DoneMessageFitter.Fit(done, 5_000);

        Assert.True(body.Length <= 5_000);
        Assert.False(char.IsHighSurrogate(fitted.ContainerOutput!.Stdout[^1]));
    }

    [Fact]
    public void Fit_ManyOutputFiles_DropsEntriesAndSetsFilesFlag()
    {
        var files = Enumerable.Range(0, 2000).Select(i => new OutputFile($"file-{i}.csv", i, new string('0', 64))).ToList();
        var done = Done("", "", "") with { OutputFiles = files };

        var (fitted, body, trimmed) = DoneMessageFitter.Fit(done, 20_000);

        Assert.True(trimmed);
        Assert.True(body.Length <= 20_000);
        Assert.True(fitted.Truncated!.Files);
        Assert.True(fitted.OutputFiles!.Count < files.Count);
    }

    [Fact]
    public void Fit_ManyLongRefusedEntries_DropsThoseBeforeAnyOutputFileAndKeepsTheCount()
    {
        var files = new[] { new OutputFile("kept.csv", 1, new string('0', 64)) };
        var refused = new RefusedOutputs(5000, [.. Enumerable.Range(0, RefusedOutputs.MaxEntries).Select(i => new RefusedOutput(new string('x', 1000) + i, RefusalReasons.FilesLimit))]);
        var done = Done("", "", "") with { OutputFiles = files, RefusedOutputs = refused };

        var (fitted, body, trimmed) = DoneMessageFitter.Fit(done, 20_000);

        Assert.True(trimmed);
        Assert.True(body.Length <= 20_000);
        Assert.Equal(files, fitted.OutputFiles);
        Assert.Equal(5000, fitted.RefusedOutputs!.Count);
        Assert.InRange(fitted.RefusedOutputs.Entries.Count, 1, RefusedOutputs.MaxEntries - 1);
    }
}
