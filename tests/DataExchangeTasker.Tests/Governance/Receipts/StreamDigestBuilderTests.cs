using System.Text;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Governance.Receipts;

public sealed class StreamDigestBuilderTests
{
    [Fact]
    public void Build_MultibyteCharacterSplitAcrossChunks_SameAsWholeAndValidUtf8()
    {
        var bytes = Encoding.UTF8.GetBytes("café ünïcödé 𝄞 end");
        using var builder = new StreamDigestBuilder();
        foreach (var b in bytes)
        {
            builder.Append([b]);
        }

        var digest = builder.Build();

        Assert.Equal(StreamDigest.Of(bytes), digest);
        Assert.True(digest.Utf8);
    }

    [Fact]
    public void Build_InvalidUtf8_Flagged()
    {
        using var builder = new StreamDigestBuilder();
        builder.Append([0x61, 0xff, 0x62]);

        var digest = builder.Build();

        Assert.False(digest.Utf8);
        Assert.Equal(3, digest.Size);
        Assert.False(StreamDigest.Of([0x61, 0xff, 0x62]).Utf8);
    }

    [Fact]
    public void Build_TruncatedSequenceAtTheEnd_Flagged()
    {
        using var builder = new StreamDigestBuilder();
        builder.Append([0x61, 0xc3]);

        Assert.False(builder.Build().Utf8);
    }
}
