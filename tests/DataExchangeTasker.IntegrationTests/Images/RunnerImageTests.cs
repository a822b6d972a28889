using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Images;

/// <summary>Libraries for research code: the scientific default runner, and other languages by approved image (issue 15).</summary>
[Collection(TaskerCollection.Name)]
public sealed class RunnerImageTests(TaskerFixture fixture)
{
    private static Dictionary<string, string?> WithRImage() => new() { [Settings.Images.Name] = "r=" + EngineRequirement.RRunnerImage };

    [Fact]
    public async Task Run_CodeImportingPandasAndNumpy_ComputesKnownResultOnDefaultImage()
    {
        var code = fixture.WriteCode("sci-pandas", """
            import sys
            import numpy as np
            import pandas as pd
            frame = pd.read_csv(sys.argv[1])
            print(f"total={frame['fortune'].sum()} mean={np.mean(frame['fortune'].to_numpy()):.2f} std={np.std([1.0, 2.0, 3.0, 4.0]):.4f}")
            """);
        var data = fixture.WriteData("sci-pandas.csv", "name,fortune\nada,10\nbob,20\ncy,30\ndee,40\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("sci-1", code, data), TimeSpan.FromMinutes(3));

        Assert.True(TaskStates.Success == done.State, $"{done.State} {done.Reason}: {done.Output} {done.ContainerOutput?.Stderr}");
        Assert.Equal("total=100 mean=25.00 std=1.1180\n", done.ContainerOutput!.Stdout);
        Assert.Contains("pandas", done.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnlistedImage_IsRejectedImageNotAllowedWithoutAContainer()
    {
        var code = fixture.WriteCode("img-unlisted", "print('never')\n");
        var data = fixture.WriteData("img-unlisted.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, WithRImage());

        var done = await tasker.RunAsync(new StartMessage("img-unlisted", code, data, Image: "julia"));

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.ImageNotAllowed, done.Reason);
        Assert.Contains("\"julia\"", done.Output, StringComparison.Ordinal);
        Assert.Contains("approved here: r", done.Output, StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
        Assert.Empty(await tasker.ContainersAsync(fixture));
    }

    [Fact]
    public async Task Run_DefaultImageWithoutTheSupervisorLabel_IsRejectedImageNotAllowedNamingImageAndLabel()
    {
        await using var old = await OldRunnerImage.BuildAsync();
        var code = fixture.WriteCode("img-old-default", "print('never')\n");
        var data = fixture.WriteData("img-old-default.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.Image.Name] = old.Tag });

        var done = await tasker.RunAsync(new StartMessage("img-old-default", code, data));

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.ImageNotAllowed, done.Reason);
        Assert.Contains($"runner image \"{old.Tag}\" has no label dataexchange.tasker.supervisor", done.Output, StringComparison.Ordinal);
        Assert.Contains("needs dataexchange.tasker.supervisor=2", done.Output, StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
        Assert.Empty(await tasker.ContainersAsync(fixture));
    }

    [Fact]
    public async Task Run_ApprovedImageWithoutTheSupervisorLabel_IsRejectedImageNotAllowedAndTheOthersStillRun()
    {
        await using var old = await OldRunnerImage.BuildAsync();
        var code = fixture.WriteCode("img-old-approved", "print('ran')\n");
        var data = fixture.WriteData("img-old-approved.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.Images.Name] = "old=" + old.Tag });

        var rejected = await tasker.RunAsync(new StartMessage("img-old-approved", code, data, Image: "old"));
        var ran = await tasker.RunAsync(new StartMessage("img-old-approved-default", code, data));

        Assert.Equal(TaskStates.Rejected, rejected.State);
        Assert.Equal(Reasons.ImageNotAllowed, rejected.Reason);
        Assert.StartsWith($"image \"old\": runner image \"{old.Tag}\" has no label dataexchange.tasker.supervisor; this tasker needs dataexchange.tasker.supervisor=2", rejected.Output, StringComparison.Ordinal);
        Assert.Null(rejected.ContainerOutput);
        Assert.True(ran.State == TaskStates.Success, $"{ran.State} {ran.Reason}: {ran.Output}");
        Assert.Equal("ran\n", ran.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_RImageTask_RunsRunRWithRscriptAndTrace()
    {
        var folder = Path.Combine(fixture.CodeRoot, "r-sum");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "run.R"), """
            args <- commandArgs(trailingOnly = TRUE)
            people <- read.csv(args[1])
            cat(sprintf("sum=%d mean=%.1f\n", sum(people$fortune), mean(people$fortune)))
            """);
        var data = fixture.WriteData("r-sum.csv", "name,fortune\nada,10\nbob,20\ncy,30\n");
        await using var tasker = await InProcessTasker.StartAsync(fixture, WithRImage());

        var done = await tasker.RunAsync(new StartMessage("r-1", "r-sum", data, Image: "r"), TimeSpan.FromMinutes(3));

        Assert.True(TaskStates.Success == done.State, $"{done.State} {done.Reason}: {done.Output} {done.ContainerOutput?.Stderr}");
        Assert.Equal(0, done.ExitCode);
        Assert.Equal("sum=60 mean=20.0\n", done.ContainerOutput!.Stdout);
        Assert.Contains("Rscript", done.ContainerOutput.Strace, StringComparison.Ordinal);
        Assert.Contains("/tmp/code/r-sum/run.R", done.ContainerOutput.Strace, StringComparison.Ordinal);
        Assert.Contains("/tmp/data/r-sum.csv", done.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RImageFolderWithoutRunR_IsRejectedPathNotFound()
    {
        var code = fixture.WriteCode("r-missing-entry", "print('python, not R')\n");
        var data = fixture.WriteData("r-missing-entry.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, WithRImage());

        var done = await tasker.RunAsync(new StartMessage("r-2", code, data, Image: "r"));

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.PathNotFound, done.Reason);
        Assert.Contains("run.R", done.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ApprovedImageMissingFromEngine_NamesItAndExitsThree()
    {
        var env = fixture.ProcessEnvironment("img-missing-" + Guid.NewGuid().ToString("N")[..8]);
        env[Settings.Images.Name] = "r=" + EngineRequirement.RRunnerImage + ", julia=dataexchange-tasker-no-such-runner:none";

        await using var run = TaskerProcess.Start(env, "run");

        Assert.Equal(3, await run.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Contains("julia=dataexchange-tasker-no-such-runner:none: the engine has no such image", run.Output, StringComparison.Ordinal);
    }
}
