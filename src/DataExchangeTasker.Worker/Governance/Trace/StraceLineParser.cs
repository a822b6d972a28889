using System.Globalization;

namespace DataExchangeTasker.Governance.Trace;

/// <summary>
/// Turns strace output lines (<c>-f</c>, with or without <c>--seccomp-bpf</c>, <c>-o FILE</c> or stderr style) into
/// completed calls. Lines may start with a pid (<c>1234  openat(...)</c> or <c>[pid 1234] openat(...)</c>);
/// a call split across <c>&lt;unfinished ...&gt;</c> and <c>&lt;... openat resumed&gt;</c> is joined per pid.
/// Signal (<c>---</c>), exit (<c>+++</c>) and strace's own lines yield nothing. Holds at most
/// <see cref="MaxPending"/> unfinished calls, so a hostile trace cannot grow it.
/// </summary>
internal sealed class StraceLineParser
{
    /// <summary>Unfinished calls remembered at most (one per thread that is inside a traced call).</summary>
    public const int MaxPending = 4096;

    private readonly Dictionary<int, (string Name, string Head)> _pending = [];

    /// <summary>The completed call on <paramref name="line"/>, or null when it holds none (yet).</summary>
    public StraceCall? Parse(string line)
    {
        var (pid, rest) = SplitPid(line);
        if (rest.Length == 0 || rest[0] is '+' or '-' || rest.StartsWith("strace:", StringComparison.Ordinal))
        {
            return null;
        }

        if (rest.StartsWith("<... ", StringComparison.Ordinal))
        {
            var end = rest.IndexOf(" resumed>", StringComparison.Ordinal);
            if (end < 0)
            {
                return null;
            }

            var name = rest[5..end];
            if (!_pending.Remove(pid, out var head) || head.Name != name)
            {
                return null;
            }

            return Complete(name, head.Head + rest[(end + " resumed>".Length)..]);
        }

        var open = rest.IndexOf('(', StringComparison.Ordinal);
        if (open <= 0 || !IsName(rest.AsSpan(0, open)))
        {
            return null;
        }

        var callName = rest[..open];
        const string unfinished = " <unfinished ...>";
        if (rest.EndsWith(unfinished, StringComparison.Ordinal))
        {
            if (_pending.Count < MaxPending || _pending.ContainsKey(pid))
            {
                _pending[pid] = (callName, rest[(open + 1)..^unfinished.Length]);
            }

            return null;
        }

        return Complete(callName, rest[(open + 1)..]);
    }

    private static StraceCall? Complete(string name, string afterOpen)
    {
        var close = StraceText.FindClose(afterOpen, 0);
        if (close < 0)
        {
            return null;
        }

        var arguments = StraceText.SplitArguments(afterOpen[..close]);
        var result = afterOpen[(close + 1)..].Trim();
        if (!result.StartsWith('='))
        {
            return new StraceCall(name, arguments, null, null, null);
        }

        // "= 3", "= 3</tmp/x>" (-y), "= -1 ENOENT (No such file or directory)", "= 0x7f12", "= ? ERESTARTSYS (...)",
        // "= -1 EPERM (Operation not permitted) (INJECTED)". A returned descriptor's path is escaped by strace (no raw
        // '<', '>' or newline in it), so it ends at the first '>' however the file is named.
        var value = result[1..].TrimStart();
        var end = 0;
        while (end < value.Length && value[end] != ' ' && value[end] != '<')
        {
            end++;
        }

        var first = value[..end];
        var rest = value[end..];
        string? returnedPath = null;
        var pathEnd = rest.StartsWith('<') ? rest.IndexOf('>', StringComparison.Ordinal) : -1;
        if (pathEnd > 0 && StraceText.DescriptorPath(first + rest[..(pathEnd + 1)]) is { } path)
        {
            returnedPath = path;
            rest = rest[(pathEnd + 1)..];
        }

        long? number = null;
        if (long.TryParse(first, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            number = parsed;
        }
        else if (first.StartsWith("0x", StringComparison.Ordinal)
                 && ulong.TryParse(first[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address))
        {
            number = (long)(address & long.MaxValue);
        }

        var tokens = rest.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        string? errno = null;
        if (tokens.Length > 0 && tokens[0].StartsWith('E') && (number is < 0 || first == "?"))
        {
            errno = tokens[0];
        }

        return new StraceCall(name, arguments, number, errno, returnedPath);
    }

    private static (int Pid, string Text) SplitPid(string line)
    {
        var span = line.TrimEnd('\r');
        if (span.StartsWith("[pid ", StringComparison.Ordinal))
        {
            var close = span.IndexOf(']', StringComparison.Ordinal);
            if (close > 0 && int.TryParse(span.AsSpan(5, close - 5).Trim(), CultureInfo.InvariantCulture, out var bracketed))
            {
                return (bracketed, span[(close + 1)..].TrimStart());
            }
        }

        var digits = 0;
        while (digits < span.Length && char.IsAsciiDigit(span[digits]))
        {
            digits++;
        }

        if (digits > 0 && digits < span.Length && span[digits] == ' '
            && int.TryParse(span.AsSpan(0, digits), CultureInfo.InvariantCulture, out var pid))
        {
            return (pid, span[digits..].TrimStart());
        }

        return (0, span.TrimStart());
    }

    private static bool IsName(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
