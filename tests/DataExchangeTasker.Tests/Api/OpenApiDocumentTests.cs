using System.Text.Json.Nodes;
using DataExchangeTasker.Api.Http;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Tests.Api;

/// <summary>protocol/openapi.json (served at /openapi.json) says what the endpoints do.</summary>
public sealed class OpenApiDocumentTests
{
    private static readonly JsonNode Document = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "protocol", "openapi.json")))!;

    [Theory]
    [InlineData("get", "/v1/schedules")]
    [InlineData("post", "/v1/schedules")]
    [InlineData("get", "/v1/tasks/{taskId}/trace")]
    [InlineData("get", "/health/live")]
    [InlineData("get", "/health/ready")]
    public void Paths_IncludeTheEndpoint(string method, string path) => Assert.NotNull(Document["paths"]![path]?[method]);

    [Fact]
    public void TaskSchema_HasEveryFieldOfTheTaskView_IncludingDoneCount()
    {
        var properties = Document["components"]!["schemas"]!["Task"]!["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("doneCount", properties);
        Assert.Equal(TaskEndpoints.Fields.Order(), properties.Order());
    }

    [Fact]
    public void StateEnum_IsTheApisStates() =>
        Assert.Equal(ApiTaskStates.All, Document["components"]!["schemas"]!["State"]!["enum"]!.AsArray().Select(s => s!.GetValue<string>()));

    [Fact]
    public void LimitMinima_AreTheStartMessageRules()
    {
        var limits = Document["components"]!["schemas"]!["Limits"]!["properties"]!;
        Assert.Equal(DataExchangeTasker.Protocol.StartMessageRules.MinMemoryBytes, limits["memoryBytes"]!["minimum"]!.GetValue<long>());
        Assert.Equal(DataExchangeTasker.Protocol.StartMessageRules.MinPids, limits["pids"]!["minimum"]!.GetValue<long>());
        Assert.Equal(DataExchangeTasker.Protocol.StartMessageRules.MinCpus, limits["cpus"]!["minimum"]!.GetValue<double>());
        Assert.Equal(SubmissionReader.MaxClientTaskIdLength, Document["components"]!["schemas"]!["TaskRequest"]!["properties"]!["taskId"]!["maxLength"]!.GetValue<int>());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataExchangeTasker.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
