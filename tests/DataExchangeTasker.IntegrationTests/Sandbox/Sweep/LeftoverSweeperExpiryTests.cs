using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Sandbox.Sweep;
using Docker.DotNet.Models;

namespace DataExchangeTasker.IntegrationTests.Sandbox.Sweep;

/// <summary>
/// Expiry of content-addressed folders (code snapshots, installed requirements) against the real engine: an old
/// entry goes, unless a managed container (of any tasker, running or not) binds it; a recent one stays.
/// </summary>
[Collection(TaskerCollection.Name)]
public sealed class LeftoverSweeperExpiryTests(TaskerFixture fixture)
{
    [Fact]
    public async Task ExpireDependenciesAsync_OldEntries_RemovesUnboundKeepsBoundAndRecent()
    {
        var root = Path.Combine(fixture.Root, "expiry-deps-" + Guid.NewGuid().ToString("N")[..8]);
        var old = Entry(root, "aaaa", DateTime.UtcNow.AddDays(-30));
        var bound = Entry(root, "bbbb", DateTime.UtcNow.AddDays(-30));
        var recent = Entry(root, "cccc", DateTime.UtcNow);
        var staleStaging = Entry(root, ".tmp-dddd-000000000000", DateTime.UtcNow.AddDays(-2));
        var liveStaging = Entry(root, ".tmp-eeee-000000000000", DateTime.UtcNow);
        var container = await CreateBindingAsync(Path.Combine(bound, "site"));
        try
        {
            var sweeper = new LeftoverSweeper(fixture.Docker, Path.Combine(root, "no-snapshots"), "expiry-test", TimeSpan.Zero, new ClaimedContainers(), Serilog.Core.Logger.None)
            {
                Interval = TimeSpan.FromSeconds(30), // never reached: the test calls one expiry itself
                DependencyRoot = root,
            };

            var removed = await sweeper.ExpireDependenciesAsync(CancellationToken.None);

            Assert.Equal(1, removed);
            Assert.False(Directory.Exists(old));
            Assert.True(Directory.Exists(bound));
            Assert.True(Directory.Exists(recent));
            Assert.False(Directory.Exists(staleStaging));
            Assert.True(Directory.Exists(liveStaging));
        }
        finally
        {
            await fixture.Docker.RemoveContainerAsync(container, CancellationToken.None);
        }
    }

    [Fact]
    public async Task ExpireSnapshotsAsync_OldSnapshots_RemovesUnboundKeepsBound()
    {
        var root = Path.Combine(fixture.Root, "expiry-snapshots-" + Guid.NewGuid().ToString("N")[..8]);
        var old = Entry(root, "1111", DateTime.UtcNow.AddDays(-30));
        var bound = Entry(root, "2222", DateTime.UtcNow.AddDays(-30));
        var container = await CreateBindingAsync(bound);
        try
        {
            var sweeper = new LeftoverSweeper(fixture.Docker, root, "expiry-test", TimeSpan.Zero, new ClaimedContainers(), Serilog.Core.Logger.None)
            {
                Interval = TimeSpan.FromSeconds(30), // never reached: the test calls one expiry itself
            };

            Assert.Equal(1, await sweeper.ExpireSnapshotsAsync(CancellationToken.None));
            Assert.False(Directory.Exists(old));
            Assert.True(Directory.Exists(bound));
        }
        finally
        {
            await fixture.Docker.RemoveContainerAsync(container, CancellationToken.None);
        }
    }

    /// <summary>A sealed (read-only) entry with a file in <c>site/</c>, last used at <paramref name="usedAt"/>.</summary>
    private static string Entry(string root, string name, DateTime usedAt)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(Path.Combine(folder, "site"));
        File.WriteAllText(Path.Combine(folder, "site", "module.py"), "x = 1\n");
        CodeSnapshotStore.Seal(folder);
        Directory.SetLastWriteTimeUtc(folder, usedAt);
        return folder;
    }

    /// <summary>A managed container of another tasker, created (never started), binding <paramref name="source"/>.</summary>
    private async Task<string> CreateBindingAsync(string source) =>
        await fixture.Docker.CreateContainerAsync(null, new CreateContainerParameters
        {
            Image = EngineRequirement.RunnerImage,
            Cmd = ["true"],
            Labels = new Dictionary<string, string> { [ContainerLabels.Managed] = "1", [ContainerLabels.Owner] = "expiry-test-other" },
            HostConfig = new HostConfig
            {
                Mounts = [new Mount { Type = "bind", Source = source, Target = "/opt/x", ReadOnly = true }],
            },
        }, CancellationToken.None);
}
