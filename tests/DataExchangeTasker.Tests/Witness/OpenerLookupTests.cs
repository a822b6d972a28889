using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class OpenerLookupTests
{
    [Theory]
    [InlineData("Name:\tsh\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", true)]
    [InlineData("Name:\tpython\nUid:\t64000\t64000\t64000\t64000\n", false)]
    [InlineData("Uid:\t0\t64000\t0\t0\n", false)]
    [InlineData("Uid:\t0\t0\t0\t64000\n", false)]
    [InlineData("Name:\tx\n", false)]
    [InlineData("Uid:\t\n", false)]
    public void AllUidsZero_StatusText_TrueOnlyWhenEveryUidIsRoot(string status, bool root)
    {
        Assert.Equal(root, OpenerLookup.AllUidsZero(status));
    }

    [Fact]
    public void Find_ReapedProcess_IsGone()
    {
        Assert.Equal(Opener.Gone, OpenerLookup.Find(1234, FanotifyNative.NoPidfd));
        Assert.Equal(Opener.Gone, OpenerLookup.Find(0, FanotifyEvent.NotReported));
    }
}
