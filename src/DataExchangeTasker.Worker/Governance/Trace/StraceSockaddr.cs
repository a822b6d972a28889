using System.Globalization;

namespace DataExchangeTasker.Governance.Trace;

/// <summary>
/// Reads the socket address strace decoded as a struct, e.g. <c>{sa_family=AF_INET, sin_port=htons(53),
/// sin_addr=inet_addr("1.1.1.1")}</c>. Only the struct's own top-level fields count, so data a call sends (a quoted
/// buffer) cannot pose as its address, however it is spelled.
/// </summary>
internal static class StraceSockaddr
{
    /// <summary>Family, address and port of the sockaddr in <paramref name="structText"/>; null when it is not one.</summary>
    public static (string Family, string? Address, int? Port)? Parse(string structText)
    {
        var fields = StraceText.Elements(structText, '{', '}');
        var family = Value(fields, "sa_family");
        if (family is null)
        {
            return null;
        }

        return family switch
        {
            "AF_INET" => (family, Value(fields, "sin_addr") is { } v4 ? Inner(v4, "inet_addr(") : null, Port(Value(fields, "sin_port"))),
            "AF_INET6" => (family, fields.FirstOrDefault(f => f.StartsWith("inet_pton(", StringComparison.Ordinal)) is { } v6 ? Inner(v6, "inet_pton(") : null, Port(Value(fields, "sin6_port"))),
            "AF_UNIX" => (family, UnixPath(Value(fields, "sun_path")), null),
            _ => (family, null, null),
        };
    }

    private static string? Value(List<string> fields, string name)
    {
        foreach (var field in fields)
        {
            if (field.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return field[(name.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>The last string literal of <c>inet_addr("1.1.1.1")</c> or <c>inet_pton(AF_INET6, "::1", &amp;sin6_addr)</c>.</summary>
    private static string? Inner(string call, string prefix) =>
        call.StartsWith(prefix, StringComparison.Ordinal) && StraceText.FindClose(call, prefix.Length) is var close and > 0
            ? StraceText.SplitArguments(call[prefix.Length..close]).Select(StraceText.FirstString).LastOrDefault(s => s is not null)
            : null;

    /// <summary><c>"/path"</c>, or <c>@"name"</c> for an abstract socket (kept as <c>@name</c>).</summary>
    private static string? UnixPath(string? value) => value switch
    {
        null => null,
        _ when value.StartsWith("@\"", StringComparison.Ordinal) => "@" + StraceText.FirstString(value),
        _ => StraceText.FirstString(value) ?? value,
    };

    private static int? Port(string? value) =>
        value is not null && value.StartsWith("htons(", StringComparison.Ordinal) && value.EndsWith(')')
        && int.TryParse(value.AsSpan(6, value.Length - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : null;
}
