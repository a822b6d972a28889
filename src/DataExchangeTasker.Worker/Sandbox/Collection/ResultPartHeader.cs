using System.Globalization;
using System.Text.RegularExpressions;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>One header line of the supervisor's results block: <c>part &lt;name&gt; &lt;bytes&gt; &lt;sha256&gt;</c>.</summary>
/// <param name="Name">manifest, stdout, stderr, strace or outputs.</param>
/// <param name="Length">The part's length in bytes.</param>
/// <param name="Sha256">The part's SHA-256, lower-case hex.</param>
internal sealed partial record ResultPartHeader(string Name, long Length, string Sha256)
{
    /// <summary>Parses a header line for the part <paramref name="expected"/>; null when the line is anything else.</summary>
    public static ResultPartHeader? Parse(string line, string expected)
    {
        var match = LinePattern().Match(line);
        return match.Success && match.Groups[1].Value == expected
            && long.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? new ResultPartHeader(expected, length, match.Groups[3].Value)
            : null;
    }

    [GeneratedRegex("^part ([a-z]+) ([0-9]{1,18}) ([0-9a-f]{64})$")]
    private static partial Regex LinePattern();
}
