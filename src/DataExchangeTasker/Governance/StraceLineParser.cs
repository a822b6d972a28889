using System.Globalization;

namespace DataExchangeTasker.Governance;

/// <summary>
/// Turns strace output lines (<c>-f</c>, with or without <c>--seccomp-bpf</c>, <c>-o FILE</c> or stderr style) into
/// completed calls. Lines may start with a pid (<c>1234  openat(...)</c> or <c>[pid 1234] openat(...)</c>);
/// a call split across <c>&lt;unfinished ...&gt;</c> and <c>&lt;... openat resumed&gt;</c> is joined per pid.
/// Signal (<c>---</c>), exit (<c>+++</c>) and strace's own lines yield nothing. Holds at most
/// <see cref="MaxPending"/> unfinished calls, so a hostile trace cannot grow it.
/// </summary>
public sealed class StraceLineParser
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

        // "= 3", "= 3</tmp/x>" (-y), "= -1 ENOENT (No such file or directory)", "= 0x7f12", "= ? ERESTARTSYS (...)"
        var tokens = result[1..].Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return new StraceCall(name, arguments, null, null, null);
        }

        var first = tokens[0];
        string? returnedPath = null;
        var angle = first.IndexOf('<', StringComparison.Ordinal);
        if (angle > 0 && first.EndsWith('>'))
        {
            returnedPath = first[(angle + 1)..^1];
            first = first[..angle];
        }
        else if (angle > 0)
        {
            // A returned path with spaces: take everything up to the last '>'.
            var fromAngle = result.IndexOf('<', StringComparison.Ordinal);
            var lastAngle = result.LastIndexOf('>');
            returnedPath = lastAngle > fromAngle ? result[(fromAngle + 1)..lastAngle] : null;
            first = first[..angle];
        }

        long? value = null;
        if (long.TryParse(first, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            value = number;
        }
        else if (first.StartsWith("0x", StringComparison.Ordinal)
                 && ulong.TryParse(first[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address))
        {
            value = (long)(address & long.MaxValue);
        }

        string? errno = null;
        if (tokens.Length > 1 && tokens[1].StartsWith('E') && (value is < 0 || first == "?"))
        {
            errno = tokens[1];
        }

        return new StraceCall(name, arguments, value, errno, returnedPath);
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
