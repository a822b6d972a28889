using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Protocol;

public sealed class EscapedPathTests
{
    [Fact]
    public void Of_Utf8Name_IsTheNameItself()
    {
        Assert.Equal("résumé/数据.csv", EscapedPath.Of("résumé/数据.csv"u8));
    }

    [Fact]
    public void Of_BytesThatAreNotUtf8_AreHexEscapedAndDifferentNamesStayDifferent()
    {
        Assert.Equal(@"\xfe.txt", EscapedPath.Of([0xFE, .. ".txt"u8]));
        Assert.Equal(@"\xff.txt", EscapedPath.Of([0xFF, .. ".txt"u8]));
        // A truncated sequence and a lone continuation byte.
        Assert.Equal(@"a\xc3", EscapedPath.Of([(byte)'a', 0xC3]));
        Assert.Equal(@"\x80b", EscapedPath.Of([0x80, (byte)'b']));
    }

    [Fact]
    public void Of_ABackslash_IsDoubledSoAnEscapeCannotBeForged()
    {
        // The name "\xfe" written as four ASCII characters is not the byte 0xFE.
        Assert.Equal(@"\\xfe", EscapedPath.Of(@"\xfe"u8));
        Assert.NotEqual(EscapedPath.Of(@"\xfe"u8), EscapedPath.Of([0xFE]));
    }

    [Fact]
    public void Of_LongPath_KeepsItsStartAndEndWithoutSplittingASurrogatePair()
    {
        var name = string.Concat(Enumerable.Repeat("😀", 800)) + "/end.txt";

        var escaped = EscapedPath.Of(System.Text.Encoding.UTF8.GetBytes(name));

        Assert.True(escaped.Length <= EscapedPath.MaxLength);
        Assert.EndsWith("/end.txt", escaped, StringComparison.Ordinal);
        Assert.Contains("…", escaped, StringComparison.Ordinal);
        Assert.True(System.Text.Unicode.Utf8.IsValid(System.Text.Encoding.UTF8.GetBytes(escaped)));
        Assert.DoesNotContain('\uFFFD', escaped);
    }
}
