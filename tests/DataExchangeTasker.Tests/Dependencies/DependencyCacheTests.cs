using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DataExchangeTasker.Tests.Dependencies;

public sealed class DependencyCacheTests : IDisposable
{
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private const UnixFileMode ReadOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead
        | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode ReadOnlyFile = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly TempDirectory _temp = new();
    private readonly DependencyCache _cache;

    public DependencyCacheTests()
    {
        _cache = new DependencyCache(_temp.Combine("deps"));
    }

    public void Dispose()
    {
        // Published entries are read-only; make them removable again.
        foreach (var entry in _cache.Entries().ToList())
        {
            DependencyCache.Discard(entry);
        }

        _temp.Dispose();
    }

    /// <summary>A staging folder as the extractor leaves it: site/ with one package.</summary>
    private string Staging(string file = "tiny/__init__.py", string content = "VALUE = 1\n")
    {
        var staging = _cache.NewStaging(Key);
        var path = Path.Combine(staging, "site", file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return staging;
    }

    [Fact]
    public void NewStaging_EachCall_IsAFreshHiddenPathUnderTheRootNotYetCreated()
    {
        var a = _cache.NewStaging(Key);
        var b = _cache.NewStaging(Key);

        Assert.NotEqual(a, b);
        Assert.Equal(_cache.Root, Path.GetDirectoryName(a));
        Assert.StartsWith(".tmp-" + Key[..16] + "-", Path.GetFileName(a), StringComparison.Ordinal);
        Assert.False(Directory.Exists(a));
        Assert.True(Directory.Exists(_cache.Root));
    }

    [Fact]
    public void Publish_Staging_RenamesItIntoTheKeyAndSealsIt()
    {
        var staging = Staging();

        var site = _cache.Publish(staging, Key, "Successfully installed tiny-1.0\n", "{\"key\":\"k\"}");

        var entry = Path.Combine(_cache.Root, Key);
        Assert.Equal(Path.Combine(entry, "site"), site);
        Assert.False(Directory.Exists(staging));
        Assert.Equal("VALUE = 1\n", File.ReadAllText(Path.Combine(site, "tiny", "__init__.py")));
        Assert.Equal("Successfully installed tiny-1.0\n", File.ReadAllText(Path.Combine(entry, "pip.log")));
        Assert.Equal("{\"key\":\"k\"}", File.ReadAllText(Path.Combine(entry, "key.json")));
        foreach (var folder in new[] { entry, site, Path.Combine(site, "tiny") })
        {
            Assert.Equal(ReadOnlyFolder, File.GetUnixFileMode(folder));
        }

        foreach (var file in new[] { Path.Combine(site, "tiny", "__init__.py"), Path.Combine(entry, "pip.log"), Path.Combine(entry, "key.json") })
        {
            Assert.Equal(ReadOnlyFile, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void Publish_KeyAlreadyPublished_DiscardsStagingAndReturnsTheExistingSite()
    {
        var first = _cache.Publish(Staging("first.py"), Key, "first", "{}");
        var staging = Staging("second.py");

        var second = _cache.Publish(staging, Key, "second", "{}");

        Assert.Equal(first, second);
        Assert.False(Directory.Exists(staging));
        Assert.True(File.Exists(Path.Combine(first, "first.py")));
        Assert.False(File.Exists(Path.Combine(first, "second.py")));
        Assert.Equal("first", File.ReadAllText(Path.Combine(_cache.Root, Key, "pip.log")));
        Assert.Empty(Directory.EnumerateDirectories(_cache.Root, ".tmp-*"));
    }

    [Fact]
    public void Find_Missing_IsNull()
    {
        Assert.Null(_cache.Find(Key));
    }

    [Fact]
    public void Find_EntryWithoutSite_IsNull()
    {
        Directory.CreateDirectory(Path.Combine(_cache.Root, Key));

        Assert.Null(_cache.Find(Key));
    }

    [Fact]
    public void Find_Published_IsTheSiteAndMarksTheEntryUsed()
    {
        var site = _cache.Publish(Staging(), Key, "", "{}");
        var entry = Path.Combine(_cache.Root, Key);
        var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Directory.SetLastWriteTimeUtc(entry, old);

        Assert.Equal(site, _cache.Find(Key));
        Assert.True(Directory.GetLastWriteTimeUtc(entry) > old.AddYears(1));
    }

    [Fact]
    public async Task Entries_ListsPublishedKeysNotStagingOrLocks()
    {
        _cache.Publish(Staging(), Key, "", "{}");
        Directory.CreateDirectory(_cache.NewStaging(Key));
        using var held = await _cache.LockAsync(Key, TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.Equal([Path.Combine(_cache.Root, Key)], _cache.Entries());
    }

    [Fact]
    public void StaleStaging_OnlyFoldersOlderThanTheAge()
    {
        var old = _cache.NewStaging(Key);
        Directory.CreateDirectory(old);
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        var fresh = _cache.NewStaging(Key);
        Directory.CreateDirectory(fresh);

        Assert.Equal([old], _cache.StaleStaging(TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task LockAsync_HeldByAnother_TimesOutWithIOExceptionAfterTheWait()
    {
        using var held = await _cache.LockAsync(Key, TimeSpan.FromSeconds(5), CancellationToken.None);
        // Ten minutes of waiting on a clock the test moves (it polled every 250 ms of the system clock before).
        var time = new FakeTimeProvider();
        var wait = TimeSpan.FromMinutes(10);
        var waiting = new DependencyCache(_cache.Root, time).LockAsync(Key, wait, CancellationToken.None);

        await time.AdvanceUntilAsync(TimeSpan.FromSeconds(30), () => waiting.IsCompleted);

        await Assert.ThrowsAnyAsync<IOException>(() => waiting);
        Assert.True(time.GetUtcNow() - time.Start >= wait, $"gave up after {time.GetUtcNow() - time.Start}");
    }

    [Fact]
    public async Task LockAsync_OtherKey_IsNotBlocked()
    {
        using var held = await _cache.LockAsync(Key, TimeSpan.FromSeconds(5), CancellationToken.None);

        using var other = await _cache.LockAsync(Key.Replace('0', 'f'), TimeSpan.Zero, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(other);
    }

    [Fact]
    public async Task LockAsync_FirstDisposed_SucceedsImmediately()
    {
        var first = await _cache.LockAsync(Key, TimeSpan.FromSeconds(5), CancellationToken.None);
        first.Dispose();

        using var second = await _cache.LockAsync(Key, TimeSpan.Zero, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(second);
    }

    [Fact]
    public async Task LockAsync_FirstDisposedWhileWaiting_TheWaiterGetsTheLock()
    {
        var first = await _cache.LockAsync(Key, TimeSpan.FromSeconds(5), CancellationToken.None);
        var waiting = _cache.LockAsync(Key, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(waiting.IsCompleted, "the lock is held: the second caller must wait");

        first.Dispose();

        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(second);
    }

    [Fact]
    public async Task LockAsync_CancelledWhileWaiting_Throws()
    {
        using var held = await _cache.LockAsync(Key, TimeSpan.FromSeconds(5), CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = _cache.LockAsync(Key, TimeSpan.FromMinutes(5), cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
