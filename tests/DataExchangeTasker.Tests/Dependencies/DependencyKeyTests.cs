using DataExchangeTasker.Configuration;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Dependencies;

public sealed class DependencyKeyTests : IDisposable
{
    private const string Image = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private static readonly byte[] Requirements = "numpy==1.24.4\n"u8.ToArray();

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private DependencyOptions WheelhouseOptions() => DependencyOptions.Default with { Wheelhouse = _temp.Path };

    [Fact]
    public void Of_SameInputs_IsStableHexSha256()
    {
        var first = DependencyKey.Of(Requirements, Image, "image");
        var second = DependencyKey.Of("numpy==1.24.4\n"u8.ToArray(), Image, "image");

        Assert.Equal(first, second);
        Assert.Matches("^[0-9a-f]{64}$", first);
    }

    [Fact]
    public void Of_OtherRequirementsBytes_Differs()
    {
        Assert.NotEqual(DependencyKey.Of(Requirements, Image, "image"), DependencyKey.Of("numpy==1.24.4\r\n"u8.ToArray(), Image, "image"));
    }

    [Fact]
    public void Of_OtherImageId_Differs()
    {
        Assert.NotEqual(DependencyKey.Of(Requirements, Image, "image"), DependencyKey.Of(Requirements, Image.Replace('1', '2'), "image"));
    }

    [Fact]
    public void Of_OtherSource_Differs()
    {
        var image = DependencyKey.Of(Requirements, Image, "image");
        var index = DependencyKey.Of(Requirements, Image, "index:http://mirror:3141/simple");
        var otherIndex = DependencyKey.Of(Requirements, Image, "index:http://mirror2:3141/simple");

        Assert.Equal(3, new[] { image, index, otherIndex }.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void DescribeSource_NoSource_IsImage()
    {
        Assert.Equal("image", DependencyKey.DescribeSource(DependencyOptions.Default));
    }

    [Fact]
    public void DescribeSource_Index_IncludesTheUrl()
    {
        var options = DependencyOptions.Default with { IndexUrl = new Uri("http://mirror:3141/simple"), Network = "tasker-pip" };

        Assert.Equal("index:http://mirror:3141/simple", DependencyKey.DescribeSource(options));
    }

    [Fact]
    public void DescribeSource_UnchangedWheelhouse_IsStable()
    {
        _temp.WriteFile("numpy-1.24.4-cp311-cp311-linux_x86_64.whl", "wheel");

        var first = DependencyKey.DescribeSource(WheelhouseOptions());
        var second = DependencyKey.DescribeSource(WheelhouseOptions());

        Assert.Equal(first, second);
        Assert.Matches("^wheelhouse:[0-9a-f]{64}$", first);
    }

    [Fact]
    public void DescribeSource_WheelAdded_Changes()
    {
        _temp.WriteFile("numpy-1.24.4-cp311-cp311-linux_x86_64.whl", "wheel");
        var before = DependencyKey.DescribeSource(WheelhouseOptions());

        _temp.WriteFile("sub/tiny-1.0-py3-none-any.whl", "another");

        Assert.NotEqual(before, DependencyKey.DescribeSource(WheelhouseOptions()));
    }

    [Fact]
    public void DescribeSource_WheelSizeChanged_Changes()
    {
        var wheel = _temp.WriteFile("tiny-1.0-py3-none-any.whl", "wheel");
        var mtime = File.GetLastWriteTimeUtc(wheel);
        var before = DependencyKey.DescribeSource(WheelhouseOptions());

        File.WriteAllText(wheel, "a longer wheel");
        File.SetLastWriteTimeUtc(wheel, mtime);

        Assert.NotEqual(before, DependencyKey.DescribeSource(WheelhouseOptions()));
    }

    [Fact]
    public void DescribeSource_WheelModificationTimeChanged_Changes()
    {
        var wheel = _temp.WriteFile("tiny-1.0-py3-none-any.whl", "wheel");
        File.SetLastWriteTimeUtc(wheel, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var before = DependencyKey.DescribeSource(WheelhouseOptions());

        // Same size: a replaced wheel of the same length is still a different wheelhouse.
        File.WriteAllText(wheel, "WHEEL");
        File.SetLastWriteTimeUtc(wheel, new DateTime(2024, 1, 1, 0, 0, 1, DateTimeKind.Utc));

        Assert.NotEqual(before, DependencyKey.DescribeSource(WheelhouseOptions()));
    }

    [Fact]
    public void DescribeSource_WheelRenamed_Changes()
    {
        var wheel = _temp.WriteFile("tiny-1.0-py3-none-any.whl", "wheel");
        var before = DependencyKey.DescribeSource(WheelhouseOptions());

        File.Move(wheel, _temp.Combine("tiny-1.1-py3-none-any.whl"));

        Assert.NotEqual(before, DependencyKey.DescribeSource(WheelhouseOptions()));
    }
}
