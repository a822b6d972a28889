using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// Serialization of done messages on the wire: the source-generated contract with minimal escaping, so a trace
/// full of quotes stays readable and does not grow sixfold as <c>\u0022</c>. Still strict JSON (control
/// characters are escaped); only HTML-sensitive characters are left as they are.
/// </summary>
public static class ProtocolJson
{
    private static readonly JsonSerializerOptions Wire = new()
    {
        // Names come from these options, not from the context's attribute, so the policy is repeated here.
        TypeInfoResolver = ProtocolJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Indented = new(Wire) { WriteIndented = true };

    /// <summary>Done messages as published.</summary>
    public static JsonTypeInfo<DoneMessage> Done { get; } = (JsonTypeInfo<DoneMessage>)Wire.GetTypeInfo(typeof(DoneMessage));

    /// <summary>Done messages for people reading a terminal.</summary>
    public static JsonTypeInfo<DoneMessage> DoneIndented { get; } = (JsonTypeInfo<DoneMessage>)Indented.GetTypeInfo(typeof(DoneMessage));
}
