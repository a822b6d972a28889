using DataExchangeTasker.Tests.Support;
using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class DataMarksTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Of_Folder_MarksEveryFolderIncludingHiddenButNoFileOrLink()
    {
        var root = _temp.Combine("data");
        _temp.WriteFile("data/a.csv", "a");
        _temp.WriteFile("data/sub/deeper/b.csv", "b");
        _temp.WriteFile("data/.hidden/c.csv", "c");
        _temp.WriteFile("outside/secret.csv", "s");
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), _temp.Combine("outside"));

        var (objects, capped) = DataMarks.Of(root, isDirectory: true);

        Assert.False(capped);
        Assert.All(objects, o => Assert.True(o.Folder));
        Assert.Equal(
            new[] { root, root + "/.hidden", root + "/sub", root + "/sub/deeper" },
            objects.Select(o => o.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Of_File_MarksTheFileItself()
    {
        var file = _temp.WriteFile("one.csv", "x");

        var (objects, capped) = DataMarks.Of(file, isDirectory: false);

        var only = Assert.Single(objects);
        Assert.Equal((file, false, false), (only.Path, only.Folder, capped));
    }

    [Fact]
    public void Of_MoreFoldersThanTheCap_MarksTheCapAndSaysCapped()
    {
        var root = _temp.Combine("many");
        for (var i = 0; i < DataMarks.MaxFolders + 10; i++)
        {
            Directory.CreateDirectory(Path.Combine(root, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var (objects, capped) = DataMarks.Of(root, isDirectory: true);

        Assert.True(capped);
        Assert.Equal(DataMarks.MaxFolders, objects.Count);
    }
}
