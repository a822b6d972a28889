using DataExchangeTasker.Messaging;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Messaging;

public sealed class InboundDeliveryTests
{
    [Fact]
    public void BodySha256_OfTheBodyAsReceived_IsLowerCaseHexOfItsSha256AndACopyWithAnotherBodyHashesThatOne()
    {
        // The ledger and the receipt both name the body by this; a byte more (a trailing newline) is another body.
        var delivery = new InboundDelivery("abc"u8.ToArray(), false, null, null, null, "application/json", new RecordingSettlement());
        var hashed = delivery.BodySha256;
        var withNewline = delivery with { Body = "abc\n"u8.ToArray() };

        Assert.Equal(hashed, delivery.BodySha256);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", delivery.BodySha256);
        Assert.NotEqual(delivery.BodySha256, withNewline.BodySha256);
    }
}
