using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>
/// Reads what the store needs from a done message, tolerantly: v1 (<c>state</c> a string) and the original's v0.2
/// (<c>state</c> an object with a <c>name</c>). Never throws on input.
/// </summary>
internal static class DoneBodyReader
{
    /// <summary>The record to store, or null (with <paramref name="problem"/>) when the body has no usable taskId and final state.</summary>
    public static DoneRecord? Read(ReadOnlyMemory<byte> body, long receivedAt, out string? problem, out string? runningTaskId)
    {
        runningTaskId = null;
        problem = null;
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            problem = "not valid UTF-8";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("taskId", out var idElement) || idElement.ValueKind != JsonValueKind.String ||
                idElement.GetString() is not { Length: > 0 and <= 256 } taskId)
            {
                problem = "no taskId";
                return null;
            }

            var state = root.TryGetProperty("state", out var stateElement) ? stateElement.ValueKind switch
            {
                JsonValueKind.String => stateElement.GetString(),
                JsonValueKind.Object when stateElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String => name.GetString(),
                _ => null,
            } : null;
            state = state?.ToLowerInvariant();
            if (state == ApiTaskStates.Running)
            {
                runningTaskId = taskId;
                return null;
            }

            if (state is not (ApiTaskStates.Success or ApiTaskStates.Error or ApiTaskStates.Rejected))
            {
                problem = $"state {state ?? "(missing)"} is not success, error or rejected";
                return null;
            }

            return new DoneRecord(
                taskId,
                Convert.ToHexStringLower(SHA256.HashData(body.Span)),
                state,
                String(root, "reason"),
                root.TryGetProperty("durationMs", out var d) && d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var ms) ? ms : null,
                Time(root, "startedAt"),
                Time(root, "finishedAt") ?? receivedAt,
                Encoding.UTF8.GetString(body.Span));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            problem = "not JSON: " + e.Message;
            return null;
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static long? Time(JsonElement root, string name) =>
        String(root, name) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds()
            : null;
}
