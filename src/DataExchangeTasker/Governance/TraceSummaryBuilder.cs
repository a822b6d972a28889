using System.Globalization;
using System.Text;

namespace DataExchangeTasker.Governance;

/// <summary>
/// Builds a <see cref="TraceSummary"/> from a whole strace output fed incrementally, as raw bytes
/// (<see cref="Append"/>) or as lines (<see cref="AddLine"/>). Memory is bounded whatever the trace's size:
/// lists stop at <see cref="MaxEntries"/> entries, a line longer than <see cref="MaxLineBytes"/> is skipped,
/// and the parser keeps at most <see cref="StraceLineParser.MaxPending"/> unfinished calls. Not thread-safe:
/// one builder per trace stream.
/// </summary>
public sealed class TraceSummaryBuilder
{
    /// <summary>Entries kept per list.</summary>
    public const int MaxEntries = 1000;

    /// <summary>Longest line parsed; strace abbreviates strings (<c>-s</c>), so only hostile input gets near it.</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Distinct data paths kept for comparing with the witness (past <see cref="MaxEntries"/>, which only bounds the list).</summary>
    public const int MaxComparedDataPaths = 100_000;

    /// <summary>Where the task's data is mounted in the container.</summary>
    public const string DataMount = "/tmp/data";

    private readonly StraceLineParser _parser = new();
    private readonly List<string> _dataRead = [];
    private readonly HashSet<string> _dataReadSeen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dataReadAll = new(StringComparer.Ordinal);
    private bool _dataReadAllCapped;
    private readonly List<string> _filesWritten = [];
    private readonly HashSet<string> _filesWrittenSeen = new(StringComparer.Ordinal);
    private readonly List<NetworkAttempt> _network = [];
    private readonly List<ExecutedProgram> _processes = [];
    private readonly HashSet<ExecutedProgram> _processesSeen = [];
    private readonly byte[] _line = new byte[MaxLineBytes];
    private int _lineLength;
    private bool _lineTooLong;
    private long _denied;
    private bool _capped;

    /// <summary>Feeds the next chunk of raw trace bytes; lines may span chunks.</summary>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            var part = newline < 0 ? chunk : chunk[..newline];
            if (!_lineTooLong && _lineLength + part.Length <= MaxLineBytes)
            {
                part.CopyTo(_line.AsSpan(_lineLength));
                _lineLength += part.Length;
            }
            else
            {
                _lineTooLong = true;
            }

            if (newline < 0)
            {
                return;
            }

            EndLine();
            chunk = chunk[(newline + 1)..];
        }
    }

    /// <summary>Feeds one complete line (without its newline).</summary>
    public void AddLine(string line)
    {
        if (_parser.Parse(line) is { } call)
        {
            Add(call);
        }
    }

    /// <summary>The summary of everything fed so far (a final line without newline included).</summary>
    public TraceSummary Build()
    {
        if (_lineLength > 0 || _lineTooLong)
        {
            EndLine();
        }

        return new TraceSummary(_dataRead.ToList(), _filesWritten.ToList(), _network.ToList(), _processes.ToList(), _denied, _capped)
        {
            DataReadAll = _dataReadAll,
            DataReadAllCapped = _dataReadAllCapped,
        };
    }

    /// <summary>The summary of a whole trace read from <paramref name="reader"/>.</summary>
    public static async Task<TraceSummary> SummarizeAsync(TextReader reader, CancellationToken cancellationToken)
    {
        var builder = new TraceSummaryBuilder();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length <= MaxLineBytes)
            {
                builder.AddLine(line);
            }
        }

        return builder.Build();
    }

    private void EndLine()
    {
        if (!_lineTooLong)
        {
            AddLine(Encoding.UTF8.GetString(_line, 0, _lineLength));
        }

        _lineLength = 0;
        _lineTooLong = false;
    }

    private void Add(StraceCall call)
    {
        if (call.Errno is "EPERM" or "EACCES")
        {
            _denied++;
        }

        switch (call.Name)
        {
            case "open":
                AddOpen(call, PathArgument(call, 0), FlagsArgument(call, 1));
                break;
            case "openat":
                AddOpen(call, PathArgument(call, 1), FlagsArgument(call, 2));
                break;
            case "openat2":
                AddOpen(call, PathArgument(call, 1), call.Arguments.Count > 2 ? StraceText.Field(call.Arguments[2], "flags") ?? "" : "");
                break;
            case "creat":
                AddOpen(call, PathArgument(call, 0), "O_CREAT|O_WRONLY|O_TRUNC");
                break;
            case "execve":
                AddExec(call, 0);
                break;
            case "execveat":
                AddExec(call, 1);
                break;
            case "connect" or "bind" or "sendto" or "sendmsg" or "sendmmsg" or "accept" or "accept4":
                AddNetwork(call);
                break;
        }
    }

    private void AddOpen(StraceCall call, string? path, string flags)
    {
        if (!call.Succeeded)
        {
            return;
        }

        // With strace -y the kernel's own path of the returned descriptor beats the path as the code spelled it.
        var resolved = call.ReturnedPath ?? path;
        if (resolved is null)
        {
            return;
        }

        var writes = HasAny(flags, "O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND");
        if (writes)
        {
            AddDistinct(_filesWritten, _filesWrittenSeen, Normalize(resolved));
        }
        else if (IsUnderData(Normalize(resolved)))
        {
            AddDistinct(_dataRead, _dataReadSeen, Normalize(resolved));
            AddCompared(Normalize(resolved));
        }
    }

    private void AddExec(StraceCall call, int pathIndex)
    {
        if (!call.Succeeded || call.Arguments.Count <= pathIndex + 1)
        {
            return;
        }

        var path = StraceText.FirstString(call.Arguments[pathIndex]);
        if (path is null)
        {
            return;
        }

        var argv0 = StraceText.FirstString(call.Arguments[pathIndex + 1]) ?? "";
        var program = new ExecutedProgram(path, argv0);
        if (_processesSeen.Contains(program))
        {
            return;
        }

        if (_processes.Count >= MaxEntries)
        {
            _capped = true;
            return;
        }

        _processesSeen.Add(program);
        _processes.Add(program);
    }

    private void AddNetwork(StraceCall call)
    {
        // connect(fd, addr, len), bind(fd, addr, len), accept(fd, addr, len), sendto(fd, buf, n, flags, addr, len),
        // sendmsg(fd, {msg_name=addr, ...}, flags): the first sockaddr in the arguments, whichever position it has.
        var address = call.Arguments.Skip(1).Select(ParseSockaddr).FirstOrDefault(a => a is not null);
        if (address is null)
        {
            return;
        }

        if (_network.Count >= MaxEntries)
        {
            _capped = true;
            return;
        }

        var result = call.Errno ?? (call.ReturnValue is >= 0 ? "ok" : "unknown");
        _network.Add(new NetworkAttempt(call.Name, address.Value.Family, address.Value.Address, address.Value.Port, result));
    }

    private static (string Family, string? Address, int? Port)? ParseSockaddr(string argument)
    {
        var at = argument.IndexOf("sa_family=", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = argument[(at + "sa_family=".Length)..];
        var end = rest.IndexOfAny([',', '}']);
        var family = end < 0 ? rest : rest[..end];
        string? address = null;
        int? port = null;
        switch (family)
        {
            case "AF_INET":
                address = Between(argument, "inet_addr(", ")") is { } v4 ? StraceText.FirstString(v4) : null;
                port = Port(argument, "sin_port=htons(");
                break;
            case "AF_INET6":
                address = Between(argument, "inet_pton(AF_INET6, ", ")") is { } v6 ? StraceText.FirstString(v6) : null;
                port = Port(argument, "sin6_port=htons(");
                break;
            case "AF_UNIX":
                address = Between(argument, "sun_path=", "}") is { } unixPath
                    ? StraceText.FirstString(unixPath) ?? unixPath.Trim()
                    : null;
                break;
        }

        return (family, address, port);
    }

    private static int? Port(string text, string marker) =>
        Between(text, marker, ")") is { } digits && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : null;

    private static string? Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        if (from < 0)
        {
            return null;
        }

        from += start.Length;
        var to = text.IndexOf(end, from, StringComparison.Ordinal);
        return to < 0 ? null : text[from..to];
    }

    private void AddDistinct(List<string> list, HashSet<string> seen, string path)
    {
        if (seen.Contains(path))
        {
            return;
        }

        if (list.Count >= MaxEntries)
        {
            _capped = true;
            return;
        }

        seen.Add(path);
        list.Add(path);
    }

    /// <summary>Keeps every distinct data path (bounded) so the witness can be compared past the list's cap.</summary>
    private void AddCompared(string path)
    {
        if (_dataReadAll.Count < MaxComparedDataPaths)
        {
            _dataReadAll.Add(path);
        }
        else
        {
            _dataReadAllCapped |= !_dataReadAll.Contains(path);
        }
    }

    private static string? PathArgument(StraceCall call, int index) =>
        call.Arguments.Count > index ? StraceText.FirstString(call.Arguments[index]) : null;

    private static string FlagsArgument(StraceCall call, int index) =>
        call.Arguments.Count > index ? call.Arguments[index] : "";

    private static bool HasAny(string flags, params string[] names) =>
        flags.Split('|').Any(f => Array.IndexOf(names, f.Trim()) >= 0);

    private static bool IsUnderData(string path) =>
        path == DataMount || path.StartsWith(DataMount + "/", StringComparison.Ordinal);

    /// <summary>Lexical normalisation (".", "..", doubled slashes), so "/tmp/data/../code" is not mistaken for data.</summary>
    private static string Normalize(string path)
    {
        if (!path.StartsWith('/'))
        {
            return path;
        }

        var parts = new List<string>();
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (segment != ".")
            {
                parts.Add(segment);
            }
        }

        return "/" + string.Join('/', parts);
    }
}
