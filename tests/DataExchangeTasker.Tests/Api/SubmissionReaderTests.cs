using System.Text.Json;
using DataExchangeTasker.Api.Http;

namespace DataExchangeTasker.Tests.Api;

public sealed class SubmissionReaderTests
{
    private static Submission? Read(string json, bool schedule, out ApiError? error)
    {
        using var document = JsonDocument.Parse(json);
        return SubmissionReader.Read(document.RootElement, schedule, out error);
    }

    [Fact]
    public void Read_FullTask_ReturnsEveryField()
    {
        var s = Read("""{"codePath":"c","dataPath":"d/x.csv","codeHash":{"eTag":"abc"},"limits":{"timeoutSeconds":5,"cpus":0.5},"delaySeconds":3,"taskId":"t1","extra":1}""", false, out var error);
        Assert.Null(error);
        Assert.Equal(new Submission("c", "d/x.csv", "abc", new DataExchangeTasker.Protocol.TaskLimits(5, null, 0.5, null), 3, "t1", null, null), s);
    }

    [Theory]
    [InlineData("""{"dataPath":"d"}""", "codePath")]
    [InlineData("""{"codePath":"/abs","dataPath":"d"}""", "codePath")]
    [InlineData("""{"codePath":"a/../b","dataPath":"d"}""", "codePath")]
    [InlineData("""{"codePath":"c","dataPath":7}""", "dataPath")]
    [InlineData("""{"codePath":"c","dataPath":"d","limits":{"pids":0}}""", "limits.pids")]
    [InlineData("""{"codePath":"c","dataPath":"d","limits":[]}""", "limits")]
    [InlineData("""{"codePath":"c","dataPath":"d","delaySeconds":-1}""", "delaySeconds")]
    [InlineData("""{"codePath":"c","dataPath":"d","taskId":"a/b"}""", "taskId")]
    [InlineData("""{"codePath":"c","dataPath":"d","codeHash":{"eTag":5}}""", "codeHash.eTag")]
    public void Read_BadField_NamesFieldAndExpectation(string json, string field)
    {
        Assert.Null(Read(json, false, out var error));
        Assert.Equal(field, error!.Field);
        Assert.False(string.IsNullOrEmpty(error.Expected));
    }

    [Theory]
    [InlineData("""{"codePath":"c","dataPath":"d"}""", "every")]
    [InlineData("""{"codePath":"c","dataPath":"d","every":"every 1 second","cron":"* * * * *"}""", "cron")]
    [InlineData("""{"codePath":"c","dataPath":"d","every":"often"}""", "every")]
    [InlineData("""{"codePath":"c","dataPath":"d","cron":"* *"}""", "cron")]
    public void Read_BadSchedule_NamesField(string json, string field)
    {
        Assert.Null(Read(json, true, out var error));
        Assert.Equal(field, error!.Field);
    }

    [Fact]
    public void Read_LoneSurrogate_IsAnErrorNotAnException()
    {
        Assert.Null(Read("""{"codePath":"\ud800","dataPath":"d"}""", false, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("0 0 30 2 *")]
    [InlineData("0 0 31 4 *")]
    public void Read_CronThatNeverFires_IsRefused(string cron)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["codePath"] = "c", ["dataPath"] = "d", ["cron"] = cron });
        Assert.Null(Read(json, true, out var error));
        Assert.Equal("cron", error!.Field);
        Assert.Contains("never", error.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"codePath":"c","dataPath":"d","image":" "}""", "image")]
    [InlineData("""{"codePath":"c","dataPath":"d","image":5}""", "image")]
    [InlineData("""{"codePath":"c","dataPath":"d","taskId":" "}""", "taskId")]
    [InlineData("""{"codePath":"c","dataPath":"d\u0001"}""", "dataPath")]
    public void Read_FieldTheStartMessageRulesRefuse_NamesIt(string json, string field)
    {
        Assert.Null(Read(json, false, out var error));
        Assert.Equal(field, error!.Field);
    }

    [Fact]
    public void Read_ImageAndAChosenTaskIdOfTheLongestLength_Accepted()
    {
        var taskId = new string('t', SubmissionReader.MaxClientTaskIdLength);
        var s = Read("{\"codePath\":\"c\",\"dataPath\":\"d\",\"image\":\"dataexchange-tasker-runner-r:latest\",\"taskId\":\"" + taskId + "\"}", false, out var error);
        Assert.Null(error);
        Assert.Equal(("dataexchange-tasker-runner-r:latest", taskId), (s!.Image, s.TaskId));
        Assert.Null(Read("{\"codePath\":\"c\",\"dataPath\":\"d\",\"taskId\":\"" + taskId + "t\"}", false, out _));
    }
}
