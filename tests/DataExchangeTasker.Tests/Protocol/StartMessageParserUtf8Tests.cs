using System.Text;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Protocol;

/// <summary>Regression tests for inputs that once hung or crashed a worker slot.</summary>
public sealed class StartMessageParserUtf8Tests
{
    [Fact]
    public void Parse_InvalidUtf8InTaskId_ReturnsUnusableStart()
    {
        byte[] body = [.. "{\"taskId\":\""u8, 0xff, 0xfe, .. "\",\"codePath\":\"c\",\"dataPath\":\"d\"}"u8];

        Assert.IsType<UnusableStart>(StartMessageParser.Parse(body));
    }

    [Fact]
    public void Parse_InvalidUtf8InCodePath_DoesNotThrow()
    {
        byte[] body = [.. "{\"taskId\":\"t1\",\"codePath\":\""u8, 0xc3, 0x28, .. "\",\"dataPath\":\"d\"}"u8];

        var result = StartMessageParser.Parse(body);

        Assert.IsNotType<ParsedStart>(result);
    }

    [Fact]
    public void Parse_OversizedBodyWithInvalidUtf8TaskId_ReturnsUnusableStart()
    {
        byte[] body = [.. "{\"taskId\":\""u8, 0xff, .. "\",\"p\":\""u8, .. Encoding.UTF8.GetBytes(new string('p', StartMessageParser.MaxBodyBytes)), .. "\"}"u8];

        Assert.IsType<UnusableStart>(StartMessageParser.Parse(body));
    }
}
