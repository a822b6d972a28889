using DataExchangeTasker.Images;

namespace DataExchangeTasker.Tests.Images;

public sealed class ApprovedImageListParserTests
{
    private const string Id = "sha256:0a4f5df16b9e0a4f5df16b9e0a4f5df16b9e0a4f5df16b9e0a4f5df16b9e0a4f";

    [Fact]
    public void TryParse_NamesWithIdAndTag_ReturnsEntriesInOrder()
    {
        var entries = ApprovedImageListParser.TryParse($" python=dataexchange-tasker-runner:sci , r={Id},", out var errors);

        Assert.Empty(errors);
        Assert.Equal(
            [
                new ApprovedImageEntry("python", new ImageReference("dataexchange-tasker-runner:sci", ImageReferenceKind.Tag)),
                new ApprovedImageEntry("r", new ImageReference(Id, ImageReferenceKind.Id)),
            ],
            entries);
    }

    [Theory]
    [InlineData("dataexchange-tasker-runner:latest", "has no name: expected name=image")]
    [InlineData("R=runner:latest", "\"R\" is not an image name")]
    [InlineData("=runner:latest", "\"\" is not an image name")]
    [InlineData("r=runner:latest,r=other:latest", "\"r\" is listed twice")]
    [InlineData("r=sha256:abc", "not a full image id")]
    [InlineData("r=", "is not an image id")]
    [InlineData(" , ", "no entries")]
    public void TryParse_BadList_ReturnsNullWithTheProblem(string text, string expected)
    {
        var entries = ApprovedImageListParser.TryParse(text, out var errors);

        Assert.Null(entries);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TryParse_SeveralProblems_ReportsEach()
    {
        ApprovedImageListParser.TryParse("Bad=x:1, r=sha256:1, noequals", out var errors);

        Assert.Equal(3, errors.Count);
    }

    [Theory]
    [InlineData("r", true)]
    [InlineData("python-3.11_sci", true)]
    [InlineData("-r", false)]
    [InlineData("R", false)]
    [InlineData("r studio", false)]
    public void IsValidName_Examples(string name, bool valid) => Assert.Equal(valid, ApprovedImageListParser.IsValidName(name));
}
