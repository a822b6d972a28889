using System.Text;

namespace DataExchangeTasker.Governance.Approvals;

/// <summary>
/// The approvals file's format: one approved code hash (the <c>tasker hash</c> value, 64 hex digits) per line,
/// optionally followed by white space and a label; blank lines and lines starting with <c>#</c> are ignored.
/// A line whose first word is not a hash is reported, not ignored, so a typo cannot silently un-approve code.
/// </summary>
public static class ApprovalFile
{
    /// <summary>Largest approvals file read; a bigger one is an error (it is meant to be edited by people).</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>The approved hashes (lower case) with their labels, and one message per malformed line.</summary>
    public static (IReadOnlyDictionary<string, string> Approved, IReadOnlyList<string> Errors) Parse(string text)
    {
        var approved = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<string>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var end = line.IndexOfAny([' ', '\t']);
            var hash = end < 0 ? line : line[..end];
            if (!IsHash(hash))
            {
                errors.Add($"line {number}: \"{Shorten(hash)}\" is not a code hash (expected 64 hex digits, as printed by tasker hash)");
                continue;
            }

            approved.TryAdd(hash.ToLowerInvariant(), end < 0 ? "" : line[end..].Trim());
        }

        return (approved, errors);
    }

    /// <summary>True for 64 hex digits.</summary>
    public static bool IsHash(string text) => text.Length == 64 && text.All(Uri.IsHexDigit);

    /// <summary>
    /// Appends <paramref name="hash"/> (with <paramref name="label"/>) to the file, creating it (mode 0644) when
    /// missing; false when the hash is already listed, in which case nothing is written.
    /// </summary>
    public static async Task<bool> AppendAsync(string path, string hash, string? label, CancellationToken cancellationToken)
    {
        if (!IsHash(hash))
        {
            throw new ArgumentException($"\"{hash}\" is not a code hash.", nameof(hash));
        }

        var normalized = hash.ToLowerInvariant();
        var existing = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : "";
        if (Parse(existing).Approved.ContainsKey(normalized))
        {
            return false;
        }

        var clean = label?.ReplaceLineEndings(" ").Trim();
        var line = new StringBuilder();
        if (existing.Length > 0 && !existing.EndsWith('\n'))
        {
            line.Append('\n');
        }

        line.Append(normalized);
        if (!string.IsNullOrEmpty(clean))
        {
            line.Append(' ').Append(clean);
        }

        line.Append('\n');
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line.ToString()), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static string Shorten(string text) => text.Length <= 20 ? text : text[..17] + "...";
}
