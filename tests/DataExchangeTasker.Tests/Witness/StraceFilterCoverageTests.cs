using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class StraceFilterCoverageTests
{
    [Theory]
    [InlineData("%file,%network,%process", true)]
    [InlineData("all", true)]
    [InlineData("%desc", true)]
    [InlineData("?%file", true)]
    [InlineData("open,openat,openat2,creat,%process", true)]
    [InlineData("%process", false)]
    [InlineData("%network,%process", false)]
    [InlineData("openat,%process", false)]
    [InlineData("!%file", false)]
    [InlineData("/open.*", false)]
    [InlineData("", false)]
    public void RecordsOpens_Filter_TrueOnlyWhenEveryOpenIsTraced(string filter, bool records)
    {
        Assert.Equal(records, StraceFilterCoverage.RecordsOpens(filter));
    }
}
