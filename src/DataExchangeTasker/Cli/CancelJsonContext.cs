using System.Text.Json.Serialization;

namespace DataExchangeTasker.Cli;

/// <summary>Source-generated serialization of the cancel message (<c>{"cancel": taskId}</c>).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CancelJsonContext : JsonSerializerContext;
