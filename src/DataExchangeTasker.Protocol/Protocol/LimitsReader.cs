using System.Text.Json;

namespace DataExchangeTasker.Protocol;

/// <summary>Reads the optional <c>limits</c> object of a start message, one typed field at a time.</summary>
internal static class LimitsReader
{
    public static TaskLimits? Read(JsonElement root, List<string> errors)
    {
        if (!root.TryGetProperty("limits", out var limits) || limits.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (limits.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"limits must be an object, got {StartMessageParser.Kind(limits)}");
            return null;
        }

        return new TaskLimits(
            Integer(limits, "timeoutSeconds", errors) is { } t ? (int)Math.Min(t, int.MaxValue) : null,
            Integer(limits, "memoryBytes", errors),
            Number(limits, "cpus", errors),
            Integer(limits, "pids", errors) is { } p ? (int)Math.Min(p, int.MaxValue) : null);
    }

    private static long? Integer(JsonElement limits, string name, List<string> errors)
    {
        if (!limits.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var value) && value > 0)
        {
            return value;
        }

        errors.Add($"limits.{name} must be a positive whole number, got {StartMessageParser.Shorten(e.GetRawText())}");
        return null;
    }

    private static double? Number(JsonElement limits, string name, List<string> errors)
    {
        if (!limits.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number && e.GetDouble() is var value and > 0)
        {
            return value;
        }

        errors.Add($"limits.{name} must be a positive number, got {StartMessageParser.Shorten(e.GetRawText())}");
        return null;
    }
}
