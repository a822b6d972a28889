using System.Text;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Governance.Trace;

/// <summary>
/// Builds a <see cref="TraceSummary"/> from a whole strace output fed incrementally, as raw bytes
/// (<see cref="Append"/>) or as lines (<see cref="AddLine"/>). Memory is bounded whatever the trace's size:
/// lists stop at <see cref="MaxEntries"/> entries, a line longer than <see cref="MaxLineBytes"/> is skipped,
/// and the parser keeps at most <see cref="StraceLineParser.MaxPending"/> unfinished calls. Not thread-safe:
/// one builder per trace stream.
/// </summary>
/// <remarks>
/// A successful call is a data read when it returned a descriptor whose kernel path (strace <c>-y</c>) is under
/// <see cref="DataMount"/>, whatever the call and its flags (<c>open</c>, <c>openat</c>, <c>openat2</c>,
/// <c>creat</c>, <c>open_by_handle_at</c>, ...); when that path is missing or outside, an open or exec whose path as
/// written resolves there (<see cref="LexicalPath"/>) still counts, so a descriptor strace could not resolve, or
/// resolved after another thread swapped it, does not hide a read the line names.
/// </remarks>
internal sealed class TraceSummaryBuilder
{
    /// <summary>Entries kept per list.</summary>
    public const int MaxEntries = 1000;

    /// <summary>Distinct data paths kept for comparing with the witness (past <see cref="MaxEntries"/>, which only bounds the list).</summary>
    public const int MaxComparedDataPaths = 100_000;

    /// <summary>
    /// Longest line parsed. strace abbreviates data strings (<c>-s</c>) but prints paths whole: an open with
    /// <c>-y</c> carries at most three (directory descriptor, path argument, returned descriptor), each at most
    /// PATH_MAX bytes and at most 4 characters a byte once escaped (<c>\377</c>), so about 49 KiB: every open line fits.
    /// </summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Where the task's data is mounted in the container.</summary>
    public const string DataMount = "/tmp/data";

    private const string WriteFlagsOfCreat = "O_CREAT|O_WRONLY|O_TRUNC";

    private readonly StraceLineParser _parser = new();
    private readonly HashSet<string> _dataRead = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dataReadAll = new(StringComparer.Ordinal);
    private bool _dataReadAllCapped;
    private readonly List<string> _filesWritten = [];
    private readonly HashSet<string> _filesWrittenSeen = new(StringComparer.Ordinal);
    private readonly List<SocketAttempt> _network = [];
    private readonly List<SocketAttempt> _unix = [];
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

        return new TraceSummary(
            _dataRead.Order(StringComparer.Ordinal).ToList(),
            _filesWritten.ToList(),
            _network.ToList(),
            _unix.ToList(),
            _processes.ToList(),
            _denied,
            _capped)
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
                AddOpen(call, null, call.StringAt(0), Argument(call, 1));
                break;
            case "openat":
                AddOpen(call, call.DescriptorPathAt(0), call.StringAt(1), Argument(call, 2));
                break;
            case "openat2":
                AddOpen(call, call.DescriptorPathAt(0), call.StringAt(1), StraceText.Field(Argument(call, 2), "flags") ?? "");
                break;
            case "creat":
                AddOpen(call, null, call.StringAt(0), WriteFlagsOfCreat);
                break;
            case "execve":
                AddExec(call, null, 0);
                break;
            case "execveat":
                AddExec(call, call.DescriptorPathAt(0), 1);
                break;
            case "connect" or "bind" or "accept" or "accept4":
                AddSocket(call, Argument(call, 1));
                break;
            case "sendto":
                AddSocket(call, Argument(call, 4));
                break;
            case "sendmsg":
                AddSocket(call, StraceText.Field(Argument(call, 1), "msg_name") ?? "");
                break;
            case "sendmmsg":
                foreach (var message in StraceText.Elements(Argument(call, 1), '[', ']'))
                {
                    AddSocket(call, StraceText.Field(StraceText.Field(message, "msg_hdr") ?? "", "msg_name") ?? "");
                }

                break;
            default:
                // Any other call that hands out a descriptor of a data file (open_by_handle_at, open_tree, dup, ...).
                if (call.Succeeded && call.ReturnedPath is { } returned && LexicalPath.Resolve(null, returned) is { } kernel
                    && LexicalPath.IsUnder(kernel, DataMount))
                {
                    AddDataRead(kernel);
                }

                break;
        }
    }

    /// <param name="call">The open.</param>
    /// <param name="directory">The path strace printed for the directory descriptor (AT_FDCWD: the working folder).</param>
    /// <param name="path">The path as the code passed it.</param>
    /// <param name="flags">The open flags as strace printed them.</param>
    private void AddOpen(StraceCall call, string? directory, string? path, string flags)
    {
        if (!call.Succeeded)
        {
            return;
        }

        var kernel = call.ReturnedPath is { } returned ? LexicalPath.Resolve(null, returned) : null;
        var written = path is null ? null : LexicalPath.Resolve(directory, path);

        // A data file opened successfully is a read whatever the flags: the data mount is read-only, so O_CREAT,
        // O_APPEND or O_TRUNC on it can only have opened what was there.
        if (kernel is not null && LexicalPath.IsUnder(kernel, DataMount))
        {
            AddDataRead(kernel);
        }
        else if (written is not null && LexicalPath.IsUnder(written, DataMount))
        {
            AddDataRead(written);
        }

        if (HasAny(flags, "O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND") && (kernel ?? written ?? path) is { } listed)
        {
            AddDistinct(_filesWritten, _filesWrittenSeen, listed);
        }
    }

    private void AddExec(StraceCall call, string? directory, int pathIndex)
    {
        if (!call.Succeeded || call.StringAt(pathIndex) is not { } path)
        {
            return;
        }

        // execveat(fd, "", ..., AT_EMPTY_PATH) runs the descriptor's own file.
        var resolved = path.Length == 0 ? directory : LexicalPath.Resolve(directory, path);
        if (resolved is not null && LexicalPath.IsUnder(resolved, DataMount))
        {
            AddDataRead(resolved);
        }

        var program = new ExecutedProgram(path, call.StringAt(pathIndex + 1) ?? "");
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

    private void AddSocket(StraceCall call, string sockaddr)
    {
        if (StraceSockaddr.Parse(sockaddr) is not { } address)
        {
            return;
        }

        // AF_NETLINK talks to the kernel of the container's own network namespace (glibc asks it for the
        // interfaces): neither network nor another process's socket, so it is left to the raw trace.
        var list = address.Family switch
        {
            "AF_UNIX" => _unix,
            "AF_NETLINK" => null,
            _ => _network,
        };
        if (list is null)
        {
            return;
        }

        if (list.Count >= MaxEntries)
        {
            _capped = true;
            return;
        }

        var result = call.Errno ?? (call.ReturnValue is >= 0 ? "ok" : "unknown");
        list.Add(new SocketAttempt(call.Name, address.Family, address.Address, address.Port, result));
    }

    private void AddDataRead(string path)
    {
        AddCompared(path);
        if (_dataRead.Contains(path))
        {
            return;
        }

        if (_dataRead.Count >= MaxEntries)
        {
            _capped = true;
            return;
        }

        _dataRead.Add(path);
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

    private static string Argument(StraceCall call, int index) => index < call.Arguments.Count ? call.Arguments[index] : "";

    private static bool HasAny(string flags, params string[] names) =>
        flags.Split('|').Any(f => Array.IndexOf(names, f.Trim()) >= 0);
}
