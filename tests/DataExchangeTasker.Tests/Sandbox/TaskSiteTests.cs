using DataExchangeTasker.Sandbox;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox;

/// <summary>Cleanup tolerates a work root that is already gone.</summary>
public sealed class TaskSiteTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DeleteFiles_WorkRootGone_DoesNotThrow()
    {
        var site = new TaskSite("tasker-x", _temp.Combine("no-work-root"));

        site.DeleteFiles();

        Assert.False(File.Exists(site.PublishedMarker));
    }
}
