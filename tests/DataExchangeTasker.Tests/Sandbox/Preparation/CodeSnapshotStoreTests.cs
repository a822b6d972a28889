using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Preparation;

public sealed class CodeSnapshotStoreTests : IDisposable
{
    private const UnixFileMode ReadOnlyFile = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ReadOnlyFolder = ReadOnlyFile | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private readonly TempDirectory _temp = new();
    private readonly CodeSnapshotStore _store;

    public CodeSnapshotStoreTests()
    {
        _store = new CodeSnapshotStore(_temp.Combine("snapshots"));
    }

    public void Dispose()
    {
        foreach (var folder in Directory.Exists(_store.Root) ? Directory.GetDirectories(_store.Root) : [])
        {
            CodeSnapshotStore.Remove(folder);
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task SnapshotAsync_Folder_HasTheSourceHashAndReadOnlyCopies()
    {
        _temp.WriteFile("code/demo/run.py", "import helper\n");
        _temp.WriteFile("code/demo/lib/helper.py", "print('ORIGINAL')\n");
        var source = _temp.Combine("code/demo");

        var snapshot = await _store.SnapshotAsync(source, CancellationToken.None);

        Assert.Equal(await CodeHasher.HashAsync(source, CancellationToken.None), snapshot.Hash);
        Assert.Equal(Path.Combine(_store.Root, snapshot.Hash), snapshot.Folder);
        Assert.Equal(snapshot.Folder, snapshot.MountSource);
        Assert.Equal("print('ORIGINAL')\n", await File.ReadAllTextAsync(Path.Combine(snapshot.Folder, "lib", "helper.py")));
        Assert.Equal(ReadOnlyFile, File.GetUnixFileMode(Path.Combine(snapshot.Folder, "lib", "helper.py")));
        Assert.Equal(ReadOnlyFolder, File.GetUnixFileMode(Path.Combine(snapshot.Folder, "lib")));
        Assert.Equal(ReadOnlyFolder, File.GetUnixFileMode(snapshot.Folder));
    }

    [Fact]
    public async Task SnapshotAsync_SourceChangedAfterwards_SnapshotKeepsTheHashedBytes()
    {
        _temp.WriteFile("code/demo/run.py", "import helper\n");
        var helper = _temp.WriteFile("code/demo/helper.py", "print('ORIGINAL')\n");
        var snapshot = await _store.SnapshotAsync(_temp.Combine("code/demo"), CancellationToken.None);

        await File.WriteAllTextAsync(helper, "print('SWAPPED')\n");

        Assert.Equal("print('ORIGINAL')\n", await File.ReadAllTextAsync(Path.Combine(snapshot.Folder, "helper.py")));
        Assert.Equal(snapshot.Hash, await CodeHasher.HashAsync(snapshot.Folder, CancellationToken.None));
        var changed = await _store.SnapshotAsync(_temp.Combine("code/demo"), CancellationToken.None);
        Assert.NotEqual(snapshot.Hash, changed.Hash);
    }

    [Fact]
    public async Task SnapshotAsync_SameContentTwice_ReusesTheSnapshot()
    {
        _temp.WriteFile("a/demo/run.py", "print(1)\n");
        _temp.WriteFile("b/demo/run.py", "print(1)\n");

        var first = await _store.SnapshotAsync(_temp.Combine("a/demo"), CancellationToken.None);
        var second = await _store.SnapshotAsync(_temp.Combine("b/demo"), CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal([first.Folder], Directory.GetDirectories(_store.Root));
    }

    [Fact]
    public async Task SnapshotAsync_SingleFile_MountsTheFileInsideTheSnapshot()
    {
        var source = _temp.WriteFile("code/job.py", "print(2)\n");

        var snapshot = await _store.SnapshotAsync(source, CancellationToken.None);

        Assert.Equal(await CodeHasher.HashAsync(source, CancellationToken.None), snapshot.Hash);
        Assert.Equal(Path.Combine(snapshot.Folder, "job.py"), snapshot.MountSource);
        Assert.Equal("print(2)\n", await File.ReadAllTextAsync(snapshot.MountSource));
    }

    [Fact]
    public async Task SnapshotAsync_SymbolicLinkInCode_IsRefusedAndLeavesNothing()
    {
        _temp.WriteFile("code/demo/run.py", "print(1)\n");
        File.CreateSymbolicLink(_temp.Combine("code/demo/secret"), "/etc/passwd");

        await Assert.ThrowsAsync<InvalidDataException>(() => _store.SnapshotAsync(_temp.Combine("code/demo"), CancellationToken.None));

        Assert.Empty(Directory.GetFileSystemEntries(_store.Root));
    }
}
