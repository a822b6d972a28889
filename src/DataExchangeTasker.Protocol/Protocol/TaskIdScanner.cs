using System.Text.Json;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// Finds the top-level <c>taskId</c> of an oversized body without building a document, so even a message
/// too large to run can still be answered by its id.
/// </summary>
internal static class TaskIdScanner
{
    public static string? Find(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTaskId = reader.ValueTextEquals("taskId");
                reader.Read();
                if (isTaskId)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON after all: the caller dead-letters it.
        }

        return null;
    }
}
