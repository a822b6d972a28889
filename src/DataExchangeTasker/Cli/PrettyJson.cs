using System.Text.Json.Serialization;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Cli;

/// <summary>Indented, unescaped output of done messages for people reading a terminal.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(DoneMessage))]
internal sealed partial class PrettyJson : JsonSerializerContext;
