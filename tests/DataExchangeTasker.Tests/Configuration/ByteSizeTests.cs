using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Tests.Configuration;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("512m", 512L * 1024 * 1024)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("1G", 1L << 30)]
    [InlineData("64k", 64L * 1024)]
    [InlineData("64KB", 64L * 1024)]
    [InlineData("2MiB", 2L * 1024 * 1024)]
    [InlineData("1t", 1L << 40)]
    [InlineData("1048576", 1048576)]
    [InlineData("0", 0)]
    [InlineData(" 256m ", 256L * 1024 * 1024)]
    public void TryParse_ValidSize_ReturnsBytes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("kib")]
    [InlineData("-1")]
    [InlineData("-1m")]
    [InlineData("1.5g")]
    [InlineData("1 g")]
    [InlineData("12x")]
    [InlineData("+5")]
    [InlineData("99999999999999t")]
    [InlineData("9223372036854775808")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        Assert.False(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(0, bytes);
    }
}
