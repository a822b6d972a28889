using System.Text.Json.Serialization;
using DataExchangeTasker.Api.Http;
using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Api;

/// <summary>Source-generated JSON of the api's requests, responses and control messages (camelCase, nulls written).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TaskLimits))]
[JsonSerializable(typeof(CancelMessage))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(SubmitResponse))]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(TaskPage))]
[JsonSerializable(typeof(ScheduleView))]
[JsonSerializable(typeof(SchedulePage))]
[JsonSerializable(typeof(ClientView))]
[JsonSerializable(typeof(IReadOnlyList<ClientView>))]
[JsonSerializable(typeof(CancelResponse))]
[JsonSerializable(typeof(ViewUrl))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(VersionView))]
[JsonSerializable(typeof(NormalizedSubmission))]
[JsonSerializable(typeof(string))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>
/// The context the api serializes with: <see cref="ApiJsonContext"/>'s contracts with minimal escaping, so a done
/// message's trace embedded in a response stays readable (strict JSON still; HTML is never built from it).
/// </summary>
internal static class ApiJson
{
    public static ApiJsonContext Context { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
