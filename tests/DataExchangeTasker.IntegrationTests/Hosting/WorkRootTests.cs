using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;

namespace DataExchangeTasker.IntegrationTests.Hosting;

/// <summary>The tasker's private state folder.</summary>
[Collection(TaskerCollection.Name)]
public sealed class WorkRootTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_WorkRootDoesNotExist_IsCreatedOwnerOnly()
    {
        var work = Path.Combine(fixture.Root, "fresh-" + Guid.NewGuid().ToString("N")[..8], "work");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.WorkRoot.Name] = work });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(work));
    }
}
