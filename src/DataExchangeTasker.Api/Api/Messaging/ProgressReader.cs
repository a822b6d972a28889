using System.Text.Json;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>Reads <c>{taskId, step, stepIndex, at}</c> progress messages; null for anything else. Never throws on input.</summary>
internal static class ProgressReader
{
    /// <summary>The task and step, or null.</summary>
    public static (string TaskId, string Step)? Read(ReadOnlyMemory<byte> body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object &&
                   root.TryGetProperty("taskId", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 and <= 256 } taskId
                ? (taskId, root.TryGetProperty("step", out var step) && step.ValueKind == JsonValueKind.String ? step.GetString()! : "running")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
