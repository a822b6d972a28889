using System.Text.Json;
using System.Text.Json.Serialization;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>A duration as the Engine API writes <c>StopTimeout</c>: whole seconds, a number.</summary>
internal sealed class EngineSecondsConverter : JsonConverter<TimeSpan?>
{
    public override TimeSpan? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : TimeSpan.FromSeconds(reader.GetInt64());

    public override void Write(Utf8JsonWriter writer, TimeSpan? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } duration)
        {
            writer.WriteNumberValue((long)duration.TotalSeconds);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
