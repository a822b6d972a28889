using System.Text.Json;
using System.Text.Json.Serialization;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>A console size as the Engine API writes it: <c>[height, width]</c>.</summary>
internal sealed class EngineConsoleSizeConverter : JsonConverter<ConsoleSize?>
{
    public override ConsoleSize? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Only written (for the container spec digest).");

    public override void Write(Utf8JsonWriter writer, ConsoleSize? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartArray();
        writer.WriteNumberValue(value.Height);
        writer.WriteNumberValue(value.Width);
        writer.WriteEndArray();
    }
}
