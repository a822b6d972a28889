using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class WitnessPathsTests
{
    [Theory]
    [InlineData("/tmp/data/a.csv", "/tmp/data/a.csv")]
    [InlineData("/tmp/data/a.csv (deleted)", "/tmp/data/a.csv")]
    [InlineData("/tmp/data/a (deleted).csv", "/tmp/data/a (deleted).csv")]
    public void Normalize_KernelPath_DropsTheDeletedMarkOnly(string kernel, string expected)
    {
        Assert.Equal(expected, WitnessPaths.Normalize(kernel));
    }

    [Fact]
    public void CountInodeMarks_FdinfoText_CountsInodeMarkLines()
    {
        const string fdinfo = "pos:\t0\nflags:\t02004002\nmnt_id:\t15\nino:\t1057\n" +
            "fanotify flags:84 event-flags:88800\n" +
            "fanotify ino:b1e0a0 sdev:fe00000 mflags:0 mask:48000021 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:a0e0b1002d6d3b0a\n" +
            "fanotify ino:b1e0a2 sdev:fe00000 mflags:0 mask:48000021 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:a2e0b1002e6d3b0a\n";

        Assert.Equal(2, FanotifyGroup.CountInodeMarks(fdinfo));
        Assert.Equal(0, FanotifyGroup.CountInodeMarks("pos:\t0\nfanotify flags:84 event-flags:88800\n"));
    }

    [Theory]
    [InlineData(8u, 1u, 2049UL)]
    [InlineData(254u, 0u, 65024UL)]
    [InlineData(259u, 65536u, 0x1001_0300UL)]
    public void MakeDevice_MajorMinor_AsGlibcEncodesThem(uint major, uint minor, ulong device)
    {
        Assert.Equal(device, MountedObject.MakeDevice(major, minor));
    }
}
