using DataExchangeTasker.Images;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Images;

public sealed class ImagePinnerTests
{
    private const string IdR = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string IdOther = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private static ApprovedImageEntry Entry(string name, string image) =>
        new(name, ImageReference.TryParse(image, out _)!);

    private static ImageInspectResponse Inspected(string id, IDictionary<string, string>? labels = null, IList<string>? digests = null) =>
        new() { ID = id, Config = new DockerOCIImageConfig { Labels = labels ?? new Dictionary<string, string>() }, RepoDigests = digests ?? [] };

    private static readonly Dictionary<string, string> RLabels = new()
    {
        [ImageLabels.Entry] = "run.R",
        [ImageLabels.Interpreter] = "Rscript",
        [ImageLabels.Supervisor] = ImageLabels.SupervisorVersion,
    };

    [Fact]
    public void Pin_TagWithLabels_PinsTheIdAndReadsEntryAndInterpreter()
    {
        var errors = new List<string>();

        var pinned = ImagePinner.Pin(Entry("r", "dataexchange-tasker-runner-r:latest"), Inspected(IdR, RLabels), errors);

        Assert.Empty(errors);
        Assert.Equal(new PinnedImage("r", "dataexchange-tasker-runner-r:latest", IdR, "run.R", "Rscript"), pinned);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("3")]
    public void Pin_SupervisorLabelMissingOrAnotherVersion_PinnedWithTheMismatchNamingImageAndLabel(string? version)
    {
        var labels = new Dictionary<string, string>(RLabels);
        labels.Remove(ImageLabels.Supervisor);
        if (version is not null)
        {
            labels[ImageLabels.Supervisor] = version;
        }

        var errors = new List<string>();

        var pinned = ImagePinner.Pin(Entry("r", "runner-r:old"), Inspected(IdR, labels), errors);

        // One old image does not stop the tasker: it is pinned, and its tasks are rejected with this reason.
        Assert.Empty(errors);
        var mismatch = pinned!.SupervisorMismatch;
        Assert.NotNull(mismatch);
        Assert.Contains("runner image \"runner-r:old\"", mismatch, StringComparison.Ordinal);
        Assert.Contains("needs dataexchange.tasker.supervisor=2", mismatch, StringComparison.Ordinal);
        Assert.Contains(version is null ? "has no label dataexchange.tasker.supervisor" : $"has dataexchange.tasker.supervisor=\"{version}\"", mismatch, StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_NoLabels_IsAPythonRunner()
    {
        var pinned = ImagePinner.Pin(Entry("py", "runner:old"), Inspected(IdR), []);

        Assert.Equal(("run.py", "python"), (pinned!.Entry, pinned.Interpreter));
    }

    [Fact]
    public void Pin_IdEntry_MustMatchExactly()
    {
        var errors = new List<string>();

        Assert.NotNull(ImagePinner.Pin(Entry("r", IdR), Inspected(IdR, RLabels), errors));
        Assert.Null(ImagePinner.Pin(Entry("r", IdR), Inspected(IdOther, RLabels), errors));
        Assert.Contains("which is not that id", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_DigestEntry_MustBeAmongTheRepoDigests()
    {
        var digest = "runner-r@" + IdOther;
        var errors = new List<string>();

        Assert.NotNull(ImagePinner.Pin(Entry("r", digest), Inspected(IdR, RLabels, [digest]), errors));
        Assert.Null(ImagePinner.Pin(Entry("r", digest), Inspected(IdR, RLabels, ["other@" + IdOther]), errors));
        Assert.Contains("which is not that digest", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_MissingImage_ErrorSaysSo()
    {
        var errors = new List<string>();

        Assert.Null(ImagePinner.Pin(Entry("r", "runner-r:latest"), null, errors));
        Assert.Equal("r=runner-r:latest: the engine has no such image (build or load it first)", Assert.Single(errors));
    }

    [Theory]
    [InlineData("../run.R", "Rscript", "label dataexchange.tasker.entry=\"../run.R\"")]
    [InlineData("..", "Rscript", "label dataexchange.tasker.entry=\"..\"")]
    [InlineData("run.R", "Rscript --vanilla", "label dataexchange.tasker.interpreter=\"Rscript --vanilla\"")]
    [InlineData("run.R", "-e", "label dataexchange.tasker.interpreter=\"-e\"")]
    public void Pin_UnusableLabel_ErrorNamesIt(string entry, string interpreter, string expected)
    {
        var errors = new List<string>();
        var labels = new Dictionary<string, string> { [ImageLabels.Entry] = entry, [ImageLabels.Interpreter] = interpreter };

        Assert.Null(ImagePinner.Pin(Entry("r", "runner-r:latest"), Inspected(IdR, labels), errors));
        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_AbsoluteInterpreterPath_IsAccepted()
    {
        var labels = new Dictionary<string, string> { [ImageLabels.Interpreter] = "/usr/bin/python3" };

        Assert.Equal("/usr/bin/python3", ImagePinner.Pin(Entry("p", "runner:x"), Inspected(IdR, labels), [])!.Interpreter);
    }

    [Fact]
    public async Task PinAsync_ImagesTheEngineHas_AreApprovedByName()
    {
        var docker = new FakeDockerEngine();

        var images = await ImagePinner.PinAsync([Entry("a", "runner:a"), Entry("b", "runner:b")], docker, CancellationToken.None);

        Assert.Equal(["a", "b"], images.All.Select(i => i.Name).Order());
        Assert.Equal(2, docker.Calls.Count(c => c.StartsWith("image", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PinAsync_MissingImages_ThrowsListingEach()
    {
        var docker = new FakeDockerEngine { HasImage = false };

        var error = await Assert.ThrowsAsync<ImagePinningException>(
            () => ImagePinner.PinAsync([Entry("a", "runner:a"), Entry("b", "runner:b")], docker, CancellationToken.None));

        Assert.Equal(2, error.Errors.Count);
    }
}
