using DataExchangeTasker.Images;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Images;

public sealed class ApprovedImagesTests
{
    private static readonly PinnedImage R = new("r", "dataexchange-tasker-runner-r:latest", "sha256:" + new string('1', 64), "run.R", "Rscript");
    private static readonly PinnedImage Python = new("python", "dataexchange-tasker-runner:latest", "sha256:" + new string('2', 64), "run.py", "python");

    [Fact]
    public void Select_NoImageRequested_IsTheDefaultRunner()
    {
        Assert.Same(DefaultImageSelected.Instance, new ApprovedImages([R]).Select(null));
    }

    [Fact]
    public void Select_ApprovedName_ReturnsThePinnedImage()
    {
        var selection = new ApprovedImages([Python, R]).Select("r");

        Assert.Equal(R, Assert.IsType<ApprovedImageSelected>(selection).Image);
    }

    [Fact]
    public void Select_ApprovedImageOfAnOlderSupervisor_RejectedImageNotAllowedNamingTheLabelExpected()
    {
        var old = R with { SupervisorMismatch = SupervisorProtocol.Mismatch(R.Reference, new Dictionary<string, string>()) };

        var rejection = Assert.IsType<ImageRejected>(new ApprovedImages([Python, old]).Select("r")).Rejection;

        Assert.Equal(Reasons.ImageNotAllowed, rejection.Reason);
        Assert.Equal(
            "image \"r\": runner image \"dataexchange-tasker-runner-r:latest\" has no label dataexchange.tasker.supervisor; this tasker needs " +
            "dataexchange.tasker.supervisor=2 (a supervisor that speaks its protocol): rebuild the image from this tasker's runner-image/.",
            rejection.Message);
    }

    [Fact]
    public void Select_UnlistedName_RejectedImageNotAllowedListingTheApprovedNames()
    {
        var rejection = Assert.IsType<ImageRejected>(new ApprovedImages([R, Python]).Select("julia")).Rejection;

        Assert.Equal(Reasons.ImageNotAllowed, rejection.Reason);
        Assert.Equal("image \"julia\" is not an approved runner image; approved here: python, r.", rejection.Message);
    }

    [Theory]
    [InlineData("R")]
    [InlineData("sha256:1111111111111111111111111111111111111111111111111111111111111111")]
    [InlineData("dataexchange-tasker-runner-r:latest")]
    public void Select_IdOrReferenceOrOtherCase_IsNotAName(string requested)
    {
        var selection = new ApprovedImages([R]).Select(requested);

        Assert.Equal(Reasons.ImageNotAllowed, Assert.IsType<ImageRejected>(selection).Rejection.Reason);
    }

    [Fact]
    public void Select_NoImagesApproved_RejectionSaysSo()
    {
        var rejection = Assert.IsType<ImageRejected>(ApprovedImages.None.Select("r")).Rejection;

        Assert.Contains("TASKER_IMAGES is not set", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_VeryLongName_IsShortenedInTheMessage()
    {
        var rejection = Assert.IsType<ImageRejected>(ApprovedImages.None.Select(new string('x', 256))).Rejection;

        Assert.Contains(new string('x', 61) + "...\"", rejection.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 62), rejection.Message, StringComparison.Ordinal);
    }
}
