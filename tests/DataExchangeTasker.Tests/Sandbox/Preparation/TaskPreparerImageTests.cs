using DataExchangeTasker.Configuration;
using DataExchangeTasker.Images;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Preparation;

public sealed class TaskPreparerImageTests : IDisposable
{
    private static readonly PinnedImage R = new("r", "dataexchange-tasker-runner-r:latest", "sha256:" + new string('1', 64), "run.R", "Rscript");
    private readonly TempDirectory _temp = new();
    private readonly SandboxOptions _options;

    public TaskPreparerImageTests()
    {
        _options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        _temp.WriteFile("code/py_code/run.py", "print('hi')\n");
        _temp.WriteFile("code/r_code/run.R", "cat('hi')\n");
        _temp.WriteFile("code/single.R", "cat('hi')\n");
        _temp.WriteFile("data/d.csv", "a,b\n");
    }

    public void Dispose() => _temp.Dispose();

    private Task<(PreparedTask? Task, TaskRejection? Rejection)> Prepare(string code, string? image, ApprovedImages? images) =>
        new TaskPreparer(_options, images: images).PrepareAsync(new StartMessage("t1", code, "d.csv", Image: image), CancellationToken.None);

    [Fact]
    public async Task PrepareAsync_NoImage_DefaultRunnerWithRunPy()
    {
        var (task, rejection) = await Prepare("py_code", null, new ApprovedImages([R]));

        Assert.Null(rejection);
        Assert.Null(task!.Image);
        Assert.Equal("/tmp/code/py_code/run.py", task.Entry);
    }

    [Fact]
    public async Task PrepareAsync_DefaultImageWithoutTheSupervisorLabel_IsRejectedImageNotAllowedNamingImageAndLabel()
    {
        var protocol = new DefaultImageProtocol("runner:old");
        Assert.True(protocol.Report(new Dictionary<string, string> { [ImageLabels.Entry] = "run.py" }));

        var (task, rejection) = await new TaskPreparer(_options, defaultImage: protocol).PrepareAsync(new StartMessage("t1", "py_code", "d.csv"), CancellationToken.None);

        Assert.Null(task);
        Assert.Equal(Reasons.ImageNotAllowed, rejection!.Reason);
        Assert.StartsWith("runner image \"runner:old\" has no label dataexchange.tasker.supervisor; this tasker needs dataexchange.tasker.supervisor=2", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_DefaultImageRebuiltWithTheLabel_RunsAgain()
    {
        var protocol = new DefaultImageProtocol("runner:latest");
        protocol.Report(new Dictionary<string, string>());
        Assert.True(protocol.Report(new Dictionary<string, string> { [ImageLabels.Supervisor] = ImageLabels.SupervisorVersion }));

        var (task, rejection) = await new TaskPreparer(_options, defaultImage: protocol).PrepareAsync(new StartMessage("t1", "py_code", "d.csv"), CancellationToken.None);

        Assert.Null(rejection);
        Assert.NotNull(task);
    }

    [Fact]
    public async Task PrepareAsync_ApprovedImage_UsesItsEntryFile()
    {
        var (task, rejection) = await Prepare("r_code", "r", new ApprovedImages([R]));

        Assert.Null(rejection);
        Assert.Equal(R, task!.Image);
        Assert.Equal("/tmp/code/r_code/run.R", task.Entry);
    }

    [Fact]
    public async Task PrepareAsync_ApprovedImageSingleFileWithItsExtension_RunsThatFile()
    {
        var (task, _) = await Prepare("single.R", "r", new ApprovedImages([R]));

        Assert.Equal("/tmp/code/single.R", task!.Entry);
    }

    [Fact]
    public async Task PrepareAsync_ApprovedImageFolderWithoutItsEntry_IsRejectedPathNotFound()
    {
        var (task, rejection) = await Prepare("py_code", "r", new ApprovedImages([R]));

        Assert.Null(task);
        Assert.Equal(Reasons.PathNotFound, rejection!.Reason);
        Assert.Contains("without run.R", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("julia")]
    [InlineData("R")]
    public async Task PrepareAsync_UnlistedImage_IsRejectedImageNotAllowed(string image)
    {
        var (task, rejection) = await Prepare("r_code", image, new ApprovedImages([R]));

        Assert.Null(task);
        Assert.Equal(Reasons.ImageNotAllowed, rejection!.Reason);
    }

    [Fact]
    public async Task PrepareAsync_ImageWithoutApprovedImages_IsRejectedImageNotAllowed()
    {
        var (_, rejection) = await Prepare("r_code", "r", null);

        Assert.Equal(Reasons.ImageNotAllowed, rejection!.Reason);
    }
}
