using DataExchangeTasker.Configuration;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Claims;

public sealed class TaskerLeaseTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void IsHeld_WhileAcquired_TrueAndFalseAfterDispose()
    {
        Assert.False(TaskerLease.IsHeld(_temp.Path, "host-1"));
        using (TaskerLease.Acquire(_temp.Path, "host-1"))
        {
            Assert.True(TaskerLease.IsHeld(_temp.Path, "host-1"));
            Assert.False(TaskerLease.IsHeld(_temp.Path, "host-2"));
        }

        Assert.False(TaskerLease.IsHeld(_temp.Path, "host-1"));
    }

    [Fact]
    public void Acquire_SameIdTwice_ThrowsConfigurationException()
    {
        using var first = TaskerLease.Acquire(_temp.Path, "host-1");

        Assert.Throws<ConfigurationException>(() => TaskerLease.Acquire(_temp.Path, "host-1"));
    }

    [Fact]
    public void Acquire_IdThatIsNoFileName_IsHashedAndStillFound()
    {
        using var lease = TaskerLease.Acquire(_temp.Path, "../../etc/x");

        Assert.True(TaskerLease.IsHeld(_temp.Path, "../../etc/x"));
        Assert.Single(Directory.GetFiles(Path.Combine(_temp.Path, "leases")));
    }
}
