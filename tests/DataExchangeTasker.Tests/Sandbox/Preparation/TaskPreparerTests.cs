using DataExchangeTasker.Configuration;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Preparation;

public sealed class TaskPreparerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SandboxOptions _options;

    public TaskPreparerTests()
    {
        _options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        _temp.WriteFile("code/demo1_code/run.py", "print('hi')\n");
        _temp.WriteFile("code/demo1_code/lib/util.py", "x = 1\n");
        _temp.WriteFile("code/tools/count lines.py", "print(1)\n");
        _temp.WriteFile("code/notes/readme.txt", "not python\n");
        _temp.WriteFile("code/empty_folder/main.py", "print(1)\n");
        _temp.WriteFile("data/demo1_data/people.csv", "a,b\n");
        _temp.WriteFile("data/single.csv", "a,b\n");
    }

    public void Dispose() => _temp.Dispose();

    private static StartMessage Message(string codePath = "demo1_code", string dataPath = "demo1_data", string? eTag = null, TaskLimits? limits = null) =>
        new("t1", codePath, dataPath, eTag is null ? null : new CodeHash(eTag), limits);

    private Task<(PreparedTask? Task, TaskRejection? Rejection)> Prepare(StartMessage message, SandboxOptions? options = null) =>
        new TaskPreparer(options ?? _options).PrepareAsync(message, CancellationToken.None);

    private async Task<PreparedTask> AssertPrepared(StartMessage message, SandboxOptions? options = null)
    {
        var (task, rejection) = await Prepare(message, options);
        Assert.Null(rejection);
        return Assert.IsType<PreparedTask>(task);
    }

    private async Task<TaskRejection> AssertRejected(StartMessage message, string reason, SandboxOptions? options = null)
    {
        var (task, rejection) = await Prepare(message, options);
        Assert.Null(task);
        Assert.NotNull(rejection);
        Assert.Equal(reason, rejection.Reason);
        return rejection;
    }

    [Fact]
    public async Task PrepareAsync_FolderWithRunPy_EntryIsRunPyInTheContainer()
    {
        var task = await AssertPrepared(Message());

        Assert.Equal("/tmp/code/demo1_code/run.py", task.Entry);
        Assert.Equal(_temp.Combine("code/demo1_code"), task.Code.HostPath);
        Assert.Equal("/tmp/data/demo1_data", task.Data.ContainerPath);
        Assert.Equal(_temp.Combine("data/demo1_data"), task.Data.HostPath);
        Assert.Equal(new EffectiveLimits(TimeSpan.FromSeconds(60), 512L * 1024 * 1024, 1.0, 128), task.Limits);
    }

    [Fact]
    public async Task PrepareAsync_SinglePyFileWithSpaces_IsTheEntry()
    {
        var task = await AssertPrepared(Message("tools/count lines.py", "single.csv"));

        Assert.Equal("/tmp/code/tools/count lines.py", task.Entry);
        Assert.False(task.Data.IsDirectory);
    }

    [Fact]
    public async Task PrepareAsync_FolderWithoutRunPy_IsPathNotFoundMentioningRunPy()
    {
        var rejection = await AssertRejected(Message("empty_folder"), Reasons.PathNotFound);

        Assert.Equal("codePath \"empty_folder\" is a folder without run.py; expected a folder whose entry point is run.py, or a single .py file.", rejection.Message);
    }

    [Fact]
    public async Task PrepareAsync_FolderWhoseRunPyIsAFolder_IsPathNotFound()
    {
        _temp.CreateFolder("code/odd/run.py");

        var rejection = await AssertRejected(Message("odd"), Reasons.PathNotFound);

        Assert.Contains("run.py", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_NonPyFile_IsInvalidMessage()
    {
        var rejection = await AssertRejected(Message("notes/readme.txt"), Reasons.InvalidMessage);

        Assert.Contains("codePath \"notes/readme.txt\" is a file but not a .py file", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_MissingCodePath_IsPathNotFound()
    {
        var rejection = await AssertRejected(Message("nope"), Reasons.PathNotFound);

        Assert.Contains("codePath \"nope\"", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_MissingDataPath_IsPathNotFoundNamingDataPath()
    {
        var rejection = await AssertRejected(Message(dataPath: "missing.csv"), Reasons.PathNotFound);

        Assert.Equal("dataPath \"missing.csv\" does not exist under the data root.", rejection.Message);
    }

    [Fact]
    public async Task PrepareAsync_DataPathEscapingTheRoot_IsPathNotAllowed()
    {
        var rejection = await AssertRejected(Message(dataPath: "../code/demo1_code"), Reasons.PathNotAllowed);

        Assert.Contains("dataPath", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_CodePathFromTheDataRoot_IsNotFoundInTheCodeRoot()
    {
        await AssertRejected(Message("single.csv"), Reasons.PathNotFound);
    }

    [Theory]
    [InlineData(61, null, null, null, "limits.timeoutSeconds 61 is out of range: expected 1 to 60 (the tasker's configured maximum).")]
    [InlineData(null, 536870913L, null, null, "limits.memoryBytes 536870913 is out of range: expected 6291456 to 536870912")]
    [InlineData(null, 1048576L, null, null, "limits.memoryBytes 1048576 is out of range: expected 6291456 to")]
    [InlineData(null, null, 1.5, null, "limits.cpus 1.5 is out of range: expected 0.01 to 1")]
    [InlineData(null, null, 0.001, null, "limits.cpus 0.001 is out of range: expected 0.01 to 1")]
    [InlineData(null, null, null, 129, "limits.pids 129 is out of range: expected 8 to 128")]
    [InlineData(null, null, null, 4, "limits.pids 4 is out of range: expected 8 to 128")]
    public async Task PrepareAsync_LimitOutOfRange_IsInvalidMessageNamingTheLimit(int? timeout, long? memory, double? cpus, int? pids, string expected)
    {
        var rejection = await AssertRejected(Message(limits: new TaskLimits(timeout, memory, cpus, pids)), Reasons.InvalidMessage);

        Assert.StartsWith(expected, rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_LimitAboveMaximum_IsRejectedBeforeLookingAtPaths()
    {
        var rejection = await AssertRejected(Message("nope", "nope", limits: new TaskLimits(TimeoutSeconds: 3600)), Reasons.InvalidMessage);

        Assert.Contains("limits.timeoutSeconds", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_LowerLimits_AreApplied()
    {
        var task = await AssertPrepared(Message(limits: new TaskLimits(10, 64L * 1024 * 1024, 0.25, 16)));

        Assert.Equal(new EffectiveLimits(TimeSpan.FromSeconds(10), 64L * 1024 * 1024, 0.25, 16), task.Limits);
    }

    [Fact]
    public async Task PrepareAsync_SomeLimitsGiven_OthersAreTheMaxima()
    {
        var task = await AssertPrepared(Message(limits: new TaskLimits(Cpus: 0.5)));

        Assert.Equal(new EffectiveLimits(TimeSpan.FromSeconds(60), 512L * 1024 * 1024, 0.5, 128), task.Limits);
    }

    [Fact]
    public async Task PrepareAsync_LimitsEqualToMaxima_AreAccepted()
    {
        var task = await AssertPrepared(Message(limits: new TaskLimits(60, 512L * 1024 * 1024, 1.0, 128)));

        Assert.Equal(new TaskPreparer(_options).MaximumLimits, task.Limits);
    }

    [Fact]
    public async Task PrepareAsync_MatchingETag_IsAccepted()
    {
        var eTag = await CodeHasher.HashAsync(_temp.Combine("code/demo1_code"), CancellationToken.None);

        await AssertPrepared(Message(eTag: eTag));
    }

    [Fact]
    public async Task PrepareAsync_MatchingETagInUpperCaseWithSpaces_IsAccepted()
    {
        var eTag = await CodeHasher.HashAsync(_temp.Combine("code/demo1_code"), CancellationToken.None);

        await AssertPrepared(Message(eTag: " " + eTag.ToUpperInvariant() + " "));
    }

    [Fact]
    public async Task PrepareAsync_MatchingETagOfSingleFile_IsAccepted()
    {
        var eTag = await CodeHasher.HashAsync(_temp.Combine("code/tools/count lines.py"), CancellationToken.None);

        await AssertPrepared(Message("tools/count lines.py", "single.csv", eTag));
    }

    [Fact]
    public async Task PrepareAsync_CodeChangedAfterApproval_IsHashMismatch()
    {
        var eTag = await CodeHasher.HashAsync(_temp.Combine("code/demo1_code"), CancellationToken.None);
        _temp.WriteFile("code/demo1_code/lib/util.py", "x = 2\n");
        var actual = await CodeHasher.HashAsync(_temp.Combine("code/demo1_code"), CancellationToken.None);

        var rejection = await AssertRejected(Message(eTag: eTag), Reasons.HashMismatch);

        Assert.Equal($"codeHash.eTag \"{eTag}\" does not match the code's hash \"{actual}\": the code changed since it was approved.", rejection.Message);
    }

    [Fact]
    public async Task PrepareAsync_V01StyleETag_IsHashMismatch()
    {
        var rejection = await AssertRejected(Message(eTag: "5db6a51baa9e0"), Reasons.HashMismatch);

        Assert.Contains("the code changed since it was approved", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_CodeFolderWithSymlink_IsHashMismatchSayingWhy()
    {
        File.CreateSymbolicLink(_temp.Combine("code/demo1_code/link.py"), "/etc/passwd");

        var rejection = await AssertRejected(Message(eTag: new string('0', 64)), Reasons.HashMismatch);

        Assert.Contains("cannot be hashed", rejection.Message, StringComparison.Ordinal);
        Assert.Contains("symbolic link", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_RequireCodeHashWithoutETag_IsHashMismatch()
    {
        var rejection = await AssertRejected(Message(), Reasons.HashMismatch, _options with { RequireCodeHash = true });

        Assert.Contains("TASKER_REQUIRE_CODE_HASH", rejection.Message, StringComparison.Ordinal);
        Assert.Contains("codeHash.eTag is missing", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_RequireCodeHashWithEmptyETag_IsHashMismatch()
    {
        await AssertRejected(Message(eTag: ""), Reasons.HashMismatch, _options with { RequireCodeHash = true });
    }

    [Fact]
    public async Task PrepareAsync_RequireCodeHashWithMatchingETag_IsAccepted()
    {
        var eTag = await CodeHasher.HashAsync(_temp.Combine("code/demo1_code"), CancellationToken.None);

        await AssertPrepared(Message(eTag: eTag), _options with { RequireCodeHash = true });
    }

    [Fact]
    public async Task PrepareAsync_NoETagAndNotRequired_RunsTheSnapshotWithoutComparing()
    {
        var (task, rejection) = await new TaskPreparer(_options).PrepareAsync(Message(), CancellationToken.None);

        Assert.Null(rejection);
        Assert.StartsWith(_options.SnapshotRoot + "/", task!.Snapshot.MountSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_CodeWithASymbolicLinkAndNoETag_IsRejectedBecauseItCannotBeSnapshotted()
    {
        // The container sees the snapshot only: a link could not be copied faithfully, so such code never runs.
        File.CreateSymbolicLink(_temp.Combine("code/demo1_code/link.py"), "run.py");

        var (task, rejection) = await new TaskPreparer(_options).PrepareAsync(Message(), CancellationToken.None);

        Assert.Null(task);
        Assert.Equal(Reasons.PathNotAllowed, rejection!.Reason);
    }

    [Fact]
    public async Task PrepareAsync_CodeChangedAfterPreparing_SnapshotKeepsTheHashedBytes()
    {
        var (task, _) = await new TaskPreparer(_options).PrepareAsync(Message(), CancellationToken.None);
        var runPy = _temp.Combine("code/demo1_code/run.py");
        var original = File.ReadAllText(runPy);

        File.WriteAllText(runPy, "print('SWAPPED')\n");

        Assert.Equal(original, File.ReadAllText(Path.Combine(task!.Snapshot.MountSource, "run.py")));
    }
}
