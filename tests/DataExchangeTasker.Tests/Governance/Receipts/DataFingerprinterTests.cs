using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Governance;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Governance.Receipts;

public sealed class DataFingerprinterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ComputeAsync_SameFolderTwice_SameFingerprint()
    {
        var folder = Fill();

        var first = await DataFingerprinter.ComputeAsync(folder, hashContent: true, CancellationToken.None);
        var second = await DataFingerprinter.ComputeAsync(folder, hashContent: true, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(4, first.Entries);
        Assert.NotNull(first.ContentSha256);
        Assert.Equal((long)FileStatus.Of(folder)!.Inode, first.Inode);
    }

    [Fact]
    public async Task ComputeAsync_FileAddedOrChanged_ListingHashChanges()
    {
        var folder = Fill();
        var before = await DataFingerprinter.ComputeAsync(folder, hashContent: false, CancellationToken.None);
        Assert.Null(before.ContentSha256);

        _temp.WriteFile("data/sub/new.csv", "n\n");
        var added = await DataFingerprinter.ComputeAsync(folder, hashContent: false, CancellationToken.None);
        _temp.WriteFile("data/a.csv", "a,1,longer\n");
        var changed = await DataFingerprinter.ComputeAsync(folder, hashContent: false, CancellationToken.None);

        Assert.NotEqual(before.ListingSha256, added.ListingSha256);
        Assert.NotEqual(added.ListingSha256, changed.ListingSha256);
    }

    [Fact]
    public async Task ComputeAsync_SymlinkInside_ListedNotFollowed()
    {
        var folder = Fill();
        File.CreateSymbolicLink(Path.Combine(folder, "link"), "/etc");

        var fingerprint = await DataFingerprinter.ComputeAsync(folder, hashContent: true, CancellationToken.None);

        Assert.Equal(5, fingerprint.Entries);
    }

    [Fact]
    public async Task ComputeAsync_SingleFile_OneEntry()
    {
        var file = _temp.WriteFile("one.csv", "x\n");

        var fingerprint = await DataFingerprinter.ComputeAsync(file, hashContent: false, CancellationToken.None);

        Assert.Equal(1, fingerprint.Entries);
        Assert.False(fingerprint.Truncated);
    }

    private string Fill()
    {
        _temp.WriteFile("data/a.csv", "a,1\n");
        _temp.WriteFile("data/b.csv", "b,2\n");
        _temp.WriteFile("data/sub/c.csv", "c,3\n");
        return _temp.Combine("data");
    }
}
