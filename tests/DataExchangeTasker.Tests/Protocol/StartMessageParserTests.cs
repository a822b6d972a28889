using System.Text;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Protocol;

public sealed class StartMessageParserTests
{
    private static StartParseResult Parse(string json) => StartMessageParser.Parse(Encoding.UTF8.GetBytes(json));

    private static UnusableStart AssertUnusable(string json)
    {
        var result = Parse(json);
        return Assert.IsType<UnusableStart>(result);
    }

    private static InvalidStart AssertInvalid(string json, string taskId = "t1")
    {
        var result = Parse(json);
        var invalid = Assert.IsType<InvalidStart>(result);
        Assert.Equal(taskId, invalid.TaskId);
        return invalid;
    }

    private const string Sha256 = "c3d293b1ba3e95e59d3b3b71f1ff984cdc5ea80b47113197ce6d1c3eaa91cb81";

    [Fact]
    public void Parse_ValidV01Message_ReturnsParsedStartWithEveryField()
    {
        var result = Parse($$$"""{"taskId":"123","codePath":"demo1_code","dataPath":"demo1_data","codeHash":{"eTag":"{{{Sha256}}}"}}""");

        var parsed = Assert.IsType<ParsedStart>(result);
        Assert.Equal(new StartMessage("123", "demo1_code", "demo1_data", new CodeHash(Sha256), null), parsed.Message);
    }

    [Fact]
    public void Parse_OriginalWebDavETag_RejectsHashMismatchNamingTheFix()
    {
        var invalid = AssertInvalid("""{"taskId":"t1","codePath":"demo1_code","dataPath":"demo1_data","codeHash":{"eTag":"5db6a51baa9e0"}}""");

        Assert.Equal(Reasons.HashMismatch, invalid.Reason);
        Assert.StartsWith("codeHash.eTag \"5db6a51baa9e0\" is not a sha256 code hash (a WebDAV ETag from the original tasker?)", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("tasker hash <code folder>", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("TASKER_LEGACY_ETAG=ignore", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OriginalWebDavETagWithIgnore_ParsesAsIfTheETagWereAbsent()
    {
        var result = StartMessageParser.Parse(
            Encoding.UTF8.GetBytes("""{"taskId":"t1","codePath":"c","dataPath":"d","codeHash":{"eTag":"5db6a51baa9e0"}}"""), LegacyETagHandling.Ignore);

        var parsed = Assert.IsType<ParsedStart>(result);
        Assert.Null(parsed.Message.CodeHash?.ETag);
    }

    [Fact]
    public void Parse_Sha256ETagWithIgnore_KeepsTheETag()
    {
        var result = StartMessageParser.Parse(
            Encoding.UTF8.GetBytes($$$"""{"taskId":"t1","codePath":"c","dataPath":"d","codeHash":{"eTag":"{{{Sha256.ToUpperInvariant()}}}"}}"""), LegacyETagHandling.Ignore);

        Assert.Equal(Sha256.ToUpperInvariant(), Assert.IsType<ParsedStart>(result).Message.CodeHash?.ETag);
    }

    [Fact]
    public void Parse_NonSha256ETagAndAnotherBadField_AnswersInvalidMessageForTheField()
    {
        var invalid = AssertInvalid("""{"taskId":"t1","codePath":7,"dataPath":"d","codeHash":{"eTag":"5db6a51baa9e0"}}""");

        Assert.Equal(Reasons.InvalidMessage, invalid.Reason);
        Assert.Contains("codePath must be a string", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyETag_IsTreatedAsAbsentAsBefore()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d","codeHash":{"eTag":""}}"""));

        Assert.Equal("", parsed.Message.CodeHash?.ETag);
    }

    [Theory]
    [InlineData(Sha256, true)]
    [InlineData(" C3D293B1BA3E95E59D3B3B71F1FF984CDC5EA80B47113197CE6D1C3EAA91CB81 ", true)]
    [InlineData("5db6a51baa9e0", false)]
    [InlineData("\"5db6a51baa9e0\"", false)]
    [InlineData("c3d293b1ba3e95e59d3b3b71f1ff984cdc5ea80b47113197ce6d1c3eaa91cb8", false)]
    [InlineData("g3d293b1ba3e95e59d3b3b71f1ff984cdc5ea80b47113197ce6d1c3eaa91cb81", false)]
    public void IsSha256_Candidates_OnlySixtyFourHexDigits(string eTag, bool expected) => Assert.Equal(expected, ETagFormat.IsSha256(eTag));

    [Fact]
    public void Parse_MinimalMessage_HasNoHashAndNoLimits()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d"}"""));

        Assert.Null(parsed.Message.CodeHash);
        Assert.Null(parsed.Message.Limits);
    }

    [Fact]
    public void Parse_AllLimits_ReadsEachValue()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse(
            """{"taskId":"a","codePath":"c","dataPath":"d","limits":{"timeoutSeconds":60,"memoryBytes":268435456,"cpus":0.5,"pids":64}}"""));

        Assert.Equal(new TaskLimits(60, 268435456, 0.5, 64), parsed.Message.Limits);
    }

    [Fact]
    public void Parse_NullOptionals_MeanTheSameAsAbsent()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse(
            """{"taskId":"a","codePath":"c","dataPath":"d","codeHash":null,"limits":null}"""));

        Assert.Null(parsed.Message.CodeHash);
        Assert.Null(parsed.Message.Limits);
    }

    [Fact]
    public void Parse_NullLimitValues_AreLeftUnset()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse(
            """{"taskId":"a","codePath":"c","dataPath":"d","limits":{"timeoutSeconds":null,"cpus":0.25}}"""));

        Assert.Equal(new TaskLimits(null, null, 0.25, null), parsed.Message.Limits);
    }

    [Fact]
    public void Parse_UnknownFieldsEverywhere_AreIgnored()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse(
            """
            {"taskId":"a","codePath":"c","dataPath":"d","priority":7,"extra":{"x":[1,2]},
             "codeHash":{"eTag":"c3d293b1ba3e95e59d3b3b71f1ff984cdc5ea80b47113197ce6d1c3eaa91cb81","algorithm":"sha256"},
             "limits":{"pids":10,"gpus":1}}
            """));

        Assert.Equal(Sha256, parsed.Message.CodeHash?.ETag);
        Assert.Equal(10, parsed.Message.Limits?.Pids);
    }

    [Fact]
    public void Parse_CodeHashWithoutETag_ReturnsHashWithNullETag()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d","codeHash":{}}"""));

        Assert.NotNull(parsed.Message.CodeHash);
        Assert.Null(parsed.Message.CodeHash.ETag);
    }

    [Fact]
    public void Parse_UnicodeAndSpacesInPaths_ArePreserved()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"tools/count lines.py","dataPath":"Daten/Grüße ü.csv"}"""));

        Assert.Equal("tools/count lines.py", parsed.Message.CodePath);
        Assert.Equal("Daten/Grüße ü.csv", parsed.Message.DataPath);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"taskId\":")]
    [InlineData("")]
    public void Parse_NotJson_ReturnsUnusableStartSayingSo(string body)
    {
        var unusable = AssertUnusable(body);

        Assert.Contains("not valid JSON", unusable.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonArray_ReturnsUnusableStartNamingTheKind()
    {
        var unusable = AssertUnusable("""[{"taskId":"a"}]""");

        Assert.Contains("expected a JSON object", unusable.Reason, StringComparison.Ordinal);
        Assert.Contains("an array", unusable.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"codePath":"c","dataPath":"d"}""")]
    [InlineData("""{"TaskId":"a","codePath":"c","dataPath":"d"}""")]
    public void Parse_MissingTaskId_ReturnsUnusableStartNamingTaskId(string body)
    {
        var unusable = AssertUnusable(body);

        Assert.Contains("taskId", unusable.Reason, StringComparison.Ordinal);
        Assert.Contains("missing", unusable.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"taskId":123,"codePath":"c","dataPath":"d"}""", "a number 123")]
    [InlineData("""{"taskId":null,"codePath":"c","dataPath":"d"}""", "null")]
    [InlineData("""{"taskId":true,"codePath":"c","dataPath":"d"}""", "a boolean")]
    [InlineData("""{"taskId":{"id":"a"},"codePath":"c","dataPath":"d"}""", "an object")]
    public void Parse_NonStringTaskId_ReturnsUnusableStartNamingTaskIdAndValue(string body, string described)
    {
        var unusable = AssertUnusable(body);

        Assert.StartsWith("taskId must be a non-empty string", unusable.Reason, StringComparison.Ordinal);
        Assert.Contains(described, unusable.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\\t\\n")]
    public void Parse_EmptyOrWhitespaceTaskId_ReturnsUnusableStart(string escapedId)
    {
        var unusable = AssertUnusable($$"""{"taskId":"{{escapedId}}","codePath":"c","dataPath":"d"}""");

        Assert.Contains("taskId is empty", unusable.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc\\u0000def")]
    [InlineData("abc\\u001bdef")]
    [InlineData("line1\\nline2")]
    [InlineData("abc\\u007f")]
    public void Parse_TaskIdWithControlCharacters_ReturnsUnusableStart(string escapedId)
    {
        var unusable = AssertUnusable($$"""{"taskId":"{{escapedId}}","codePath":"c","dataPath":"d"}""");

        Assert.Contains("taskId contains control characters", unusable.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TaskIdOf257Characters_ReturnsUnusableStartWithTheLength()
    {
        var unusable = AssertUnusable($$"""{"taskId":"{{new string('x', 257)}}","codePath":"c","dataPath":"d"}""");

        Assert.Equal("taskId is 257 characters long; expected at most 256", unusable.Reason);
    }

    [Fact]
    public void Parse_TaskIdOfExactly256Characters_IsAccepted()
    {
        var id = new string('x', 256);

        var parsed = Assert.IsType<ParsedStart>(Parse($$"""{"taskId":"{{id}}","codePath":"c","dataPath":"d"}"""));

        Assert.Equal(id, parsed.Message.TaskId);
    }

    [Theory]
    [InlineData("codePath", """{"taskId":"t1","dataPath":"d"}""", "codePath is missing: expected a path relative to the code root")]
    [InlineData("dataPath", """{"taskId":"t1","codePath":"c"}""", "dataPath is missing: expected a path relative to the data root")]
    [InlineData("codePath", """{"taskId":"t1","codePath":null,"dataPath":"d"}""", "codePath is missing")]
    [InlineData("codePath", """{"taskId":"t1","codePath":"  ","dataPath":"d"}""", "codePath is empty")]
    [InlineData("dataPath", """{"taskId":"t1","codePath":"c","dataPath":""}""", "dataPath is empty")]
    public void Parse_MissingOrEmptyPath_ReturnsInvalidStartNamingTheField(string field, string body, string expected)
    {
        var invalid = AssertInvalid(body);

        Assert.Contains(field, invalid.Error, StringComparison.Ordinal);
        Assert.Contains(expected, invalid.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"taskId":"t1","codePath":42,"dataPath":"d"}""", "codePath must be a string, got a number 42")]
    [InlineData("""{"taskId":"t1","codePath":"c","dataPath":["a","b"]}""", "dataPath must be a string, got an array [\"a\",\"b\"]")]
    [InlineData("""{"taskId":"t1","codePath":false,"dataPath":"d"}""", "codePath must be a string, got a boolean false")]
    public void Parse_MistypedPath_ReturnsInvalidStartNamingFieldAndValue(string body, string expected)
    {
        var invalid = AssertInvalid(body);

        Assert.Contains(expected, invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralBadFields_ReportsEveryOne()
    {
        var invalid = AssertInvalid("""{"taskId":"t1","codePath":1,"limits":{"pids":"many"}}""");

        Assert.StartsWith("Invalid start message: ", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("codePath must be a string", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("dataPath is missing", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("limits.pids", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LongMistypedValue_IsShortenedInTheError()
    {
        var invalid = AssertInvalid($$"""{"taskId":"t1","codePath":["{{new string('a', 100)}}"],"dataPath":"d"}""");

        Assert.Contains("...", invalid.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('a', 60), invalid.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"abc\"", "a string")]
    [InlineData("[]", "an array")]
    [InlineData("7", "a number")]
    public void Parse_CodeHashNotAnObject_ReturnsInvalidStart(string value, string kind)
    {
        var invalid = AssertInvalid($$"""{"taskId":"t1","codePath":"c","dataPath":"d","codeHash":{{value}}}""");

        Assert.Contains("codeHash must be an object", invalid.Error, StringComparison.Ordinal);
        Assert.Contains(kind, invalid.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("123", "codeHash.eTag must be a string, got a number 123")]
    [InlineData("{\"v\":1}", "codeHash.eTag must be a string, got an object")]
    [InlineData("true", "codeHash.eTag must be a string, got a boolean true")]
    public void Parse_ETagWrongType_ReturnsInvalidStartNamingTheField(string value, string expected)
    {
        var invalid = AssertInvalid($$$"""{"taskId":"t1","codePath":"c","dataPath":"d","codeHash":{"eTag":{{{value}}}}}""");

        Assert.Contains(expected, invalid.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("timeoutSeconds", "\"60\"", "limits.timeoutSeconds must be a positive whole number, got \"60\"")]
    [InlineData("timeoutSeconds", "-5", "limits.timeoutSeconds must be a positive whole number, got -5")]
    [InlineData("timeoutSeconds", "0", "limits.timeoutSeconds must be a positive whole number, got 0")]
    [InlineData("timeoutSeconds", "1.5", "limits.timeoutSeconds must be a positive whole number, got 1.5")]
    [InlineData("memoryBytes", "-1", "limits.memoryBytes must be a positive whole number, got -1")]
    [InlineData("memoryBytes", "\"512m\"", "limits.memoryBytes must be a positive whole number, got \"512m\"")]
    [InlineData("memoryBytes", "1e100", "limits.memoryBytes must be a positive whole number, got 1e100")]
    [InlineData("pids", "true", "limits.pids must be a positive whole number, got true")]
    [InlineData("pids", "-64", "limits.pids must be a positive whole number, got -64")]
    [InlineData("cpus", "\"half\"", "limits.cpus must be a positive number, got \"half\"")]
    [InlineData("cpus", "-0.5", "limits.cpus must be a positive number, got -0.5")]
    [InlineData("cpus", "0", "limits.cpus must be a positive number, got 0")]
    public void Parse_LimitWithWrongTypeOrNotPositive_ReturnsInvalidStartNamingLimitAndValue(string name, string value, string expected)
    {
        var invalid = AssertInvalid($$$"""{"taskId":"t1","codePath":"c","dataPath":"d","limits":{"{{{name}}}":{{{value}}}}}""");

        Assert.Contains(expected, invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LimitsNotAnObject_ReturnsInvalidStart()
    {
        var invalid = AssertInvalid("""{"taskId":"t1","codePath":"c","dataPath":"d","limits":[60]}""");

        Assert.Contains("limits must be an object, got an array", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HugeTimeout_IsClampedNotOverflowed()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d","limits":{"timeoutSeconds":99999999999}}"""));

        Assert.Equal(int.MaxValue, parsed.Message.Limits?.TimeoutSeconds);
    }

    [Fact]
    public void Parse_BodyOverOneMebibyteWithTaskId_ReturnsInvalidStartForThatTask()
    {
        var body = $$"""{"taskId":"big-1","codePath":"c","dataPath":"d","padding":"{{new string('p', StartMessageParser.MaxBodyBytes)}}"}""";

        var invalid = AssertInvalid(body, "big-1");

        Assert.Contains($"expected at most {StartMessageParser.MaxBodyBytes}", invalid.Error, StringComparison.Ordinal);
        Assert.Contains(Encoding.UTF8.GetByteCount(body).ToString(System.Globalization.CultureInfo.InvariantCulture), invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BodyOverOneMebibyteWithTaskIdAfterPadding_StillFindsTheTaskId()
    {
        var body = $$"""{"padding":{"deep":["{{new string('p', StartMessageParser.MaxBodyBytes)}}"]},"taskId":"big-2"}""";

        AssertInvalid(body, "big-2");
    }

    [Fact]
    public void Parse_BodyOverOneMebibyteWithoutTaskId_ReturnsUnusableStart()
    {
        var body = $$"""{"codePath":"c","dataPath":"d","padding":"{{new string('p', StartMessageParser.MaxBodyBytes)}}"}""";

        var unusable = AssertUnusable(body);

        Assert.Contains("bytes; expected at most", unusable.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BodyOverOneMebibyteWithUnusableTaskId_ReturnsUnusableStart()
    {
        var body = $$"""{"taskId":"{{new string('x', 300)}}","padding":"{{new string('p', StartMessageParser.MaxBodyBytes)}}"}""";

        AssertUnusable(body);
    }

    [Fact]
    public void Parse_BodyOverOneMebibyteThatIsNotJson_ReturnsUnusableStart()
    {
        var body = new byte[StartMessageParser.MaxBodyBytes + 1];
        Array.Fill(body, (byte)'x');

        Assert.IsType<UnusableStart>(StartMessageParser.Parse(body));
    }

    [Fact]
    public void Parse_BodyOfExactlyOneMebibyte_IsParsed()
    {
        var prefix = """{"taskId":"a","codePath":"c","dataPath":"d","padding":" """.TrimEnd();
        var body = prefix + new string('p', StartMessageParser.MaxBodyBytes - prefix.Length - 2) + "\"}";
        Assert.Equal(StartMessageParser.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));

        Assert.IsType<ParsedStart>(Parse(body));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(10_000)]
    public void Parse_DeeplyNestedJson_ReturnsUnusableStartWithoutThrowing(int depth)
    {
        var body = new string('[', depth) + new string(']', depth);

        var unusable = AssertUnusable(body);

        Assert.NotEmpty(unusable.Reason);
    }

    [Fact]
    public void Parse_DeeplyNestedUnknownFieldWithTaskId_DoesNotThrow()
    {
        var body = $$"""{"taskId":"t1","codePath":"c","dataPath":"d","x":{{new string('[', 5000)}}{{new string(']', 5000)}}}""";

        var result = Parse(body);

        Assert.IsNotType<ParsedStart>(result);
    }

    [Fact]
    public void Parse_Image_IsReadAsGiven()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d","image":"r"}"""));

        Assert.Equal("r", parsed.Message.Image);
    }

    [Fact]
    public void Parse_NoOrNullImage_IsNull()
    {
        Assert.Null(Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d"}""")).Message.Image);
        Assert.Null(Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d","image":null}""")).Message.Image);
    }

    [Fact]
    public void Parse_UnknownButWellFormedImage_IsParsed_ApprovalIsDecidedLater()
    {
        var parsed = Assert.IsType<ParsedStart>(Parse("""{"taskId":"a","codePath":"c","dataPath":"d","image":"Julia 1.10"}"""));

        Assert.Equal("Julia 1.10", parsed.Message.Image);
    }

    [Theory]
    [InlineData("42", "image must be a string naming an approved runner image, got a number 42")]
    [InlineData("{\"name\":\"r\"}", "image must be a string naming an approved runner image, got an object")]
    [InlineData("\"  \"", "image is empty: expected the name of an approved runner image, or leave it out")]
    [InlineData("\"r\\u0000\"", "image contains control characters")]
    public void Parse_BadImage_InvalidNamingTheField(string value, string expected)
    {
        var invalid = AssertInvalid($$"""{"taskId":"t1","codePath":"c","dataPath":"d","image":{{value}}}""");

        Assert.Contains(expected, invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ImageLongerThanTheMaximum_Invalid()
    {
        var invalid = AssertInvalid($$"""{"taskId":"t1","codePath":"c","dataPath":"d","image":"{{new string('r', StartMessageParser.MaxImageLength + 1)}}"}""");

        Assert.Contains($"image is {StartMessageParser.MaxImageLength + 1} characters long; expected at most 256", invalid.Error, StringComparison.Ordinal);
    }
}
