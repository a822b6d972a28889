using DataExchangeTasker.Configuration;
using DataExchangeTasker.Images;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Configuration;

public sealed class ImagesOptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Dictionary<string, string?> Values(string? images) => new(StringComparer.Ordinal)
    {
        ["TASKER_CODE_ROOT"] = _temp.CreateFolder("code"),
        ["TASKER_DATA_ROOT"] = _temp.CreateFolder("data"),
        ["TASKER_WORK_ROOT"] = _temp.Combine("work"),
        ["TASKER_IMAGES"] = images,
    };

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void Load_NoImages_EmptyList(string? images)
    {
        Assert.Empty(TaskerOptionsLoader.Load(Values(images)).Sandbox.Images);
    }

    [Fact]
    public void Load_Images_ParsedInOrder()
    {
        var images = TaskerOptionsLoader.Load(Values("python=dataexchange-tasker-runner:latest,r=dataexchange-tasker-runner-r:latest")).Sandbox.Images;

        Assert.Equal(["python", "r"], images.Select(i => i.Name));
        Assert.All(images, i => Assert.Equal(ImageReferenceKind.Tag, i.Reference.Kind));
    }

    [Fact]
    public void Load_BadImages_ErrorNamesTheSettingAndEveryProblem()
    {
        var error = Assert.Throws<ConfigurationException>(() => TaskerOptionsLoader.Load(Values("R=x:1,r=sha256:12")));

        var message = Assert.Single(error.Errors);
        Assert.StartsWith("TASKER_IMAGES=\"R=x:1,r=sha256:12\" is invalid: expected comma-separated name=image entries (", message, StringComparison.Ordinal);
        Assert.Contains("\"R\" is not an image name", message, StringComparison.Ordinal);
        Assert.Contains("not a full image id", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImagesSetting_CliFlag_IsImages()
    {
        Assert.Equal("--images", Settings.Images.Flag);
    }
}
