using DataExchangeTasker.Images;

namespace DataExchangeTasker.Tests.Images;

public sealed class ImageReferenceTests
{
    private const string Hex = "0a4f5df16b9e0a4f5df16b9e0a4f5df16b9e0a4f5df16b9e0a4f5df16b9e0a4f";

    [Theory]
    [InlineData("sha256:" + Hex, ImageReferenceKind.Id)]
    [InlineData("dataexchange-tasker-runner-r@sha256:" + Hex, ImageReferenceKind.Digest)]
    [InlineData("registry.example:5000/team/runner@sha256:" + Hex, ImageReferenceKind.Digest)]
    [InlineData("dataexchange-tasker-runner-r:latest", ImageReferenceKind.Tag)]
    [InlineData("dataexchange-tasker-runner", ImageReferenceKind.Tag)]
    [InlineData("registry.example:5000/team/runner:2026.11-sci", ImageReferenceKind.Tag)]
    public void TryParse_EachForm_IsClassified(string text, ImageReferenceKind kind)
    {
        var reference = ImageReference.TryParse(text, out var error);

        Assert.Null(error);
        Assert.Equal(new ImageReference(text, kind), reference);
    }

    [Theory]
    [InlineData("sha256:0a4f5df16b9e", "not a full image id")]
    [InlineData("0a4f5df16b9e", "not a full image id")]
    [InlineData("sha256:" + "0A4F5DF16B9E0A4F5DF16B9E0A4F5DF16B9E0A4F5DF16B9E0A4F5DF16B9E0A4F", "not a full image id")]
    [InlineData("runner@sha256:0a4f", "not a repository digest")]
    [InlineData("Runner@sha256:" + Hex, "not a repository digest")]
    [InlineData("Runner:latest", "is not an image id")]
    [InlineData("runner:lat est", "is not an image id")]
    [InlineData("", "is not an image id")]
    [InlineData("runner:-x", "is not an image id")]
    public void TryParse_Malformed_ReturnsNullWithError(string text, string expected)
    {
        var reference = ImageReference.TryParse(text, out var error);

        Assert.Null(reference);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
