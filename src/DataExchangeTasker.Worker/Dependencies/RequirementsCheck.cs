using System.Text;
using System.Text.RegularExpressions;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// Checks a code folder's <c>requirements.txt</c> before any container: only named packages (with extras, version
/// specifiers, environment markers and <c>--hash</c>) may be listed. A requirements file may also carry pip options
/// and direct references, but the package source is the operator's choice, and the preparation container sees this
/// one file only, so those are refused with the line quoted: <c>-r</c>/<c>-c</c> (other files), <c>-e</c>, any
/// <c>--index-url</c>, <c>--find-links</c> or other option line, and URLs or paths instead of names.
/// </summary>
internal static partial class RequirementsCheck
{
    /// <summary>The file the tasker looks for at the top of a code folder.</summary>
    public const string FileName = "requirements.txt";

    /// <summary>The largest requirements file read (a list of packages, not data).</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>Null when every line is acceptable; otherwise one sentence naming the first refused line and why.</summary>
    public static string? FindRefusal(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length > MaxBytes)
        {
            return $"{FileName} is {content.Length} bytes; expected at most {MaxBytes} bytes (a list of packages).";
        }

        string text;
        try
        {
            // A leading byte order mark (Windows editors write one) is not part of the first line, as for pip.
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return $"{FileName} is not UTF-8 text.";
        }

        var number = 0;
        var logical = new StringBuilder();
        var firstNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (logical.Length == 0)
            {
                firstNumber = number;
            }

            // A trailing backslash continues the line (pip joins them before reading options).
            if (line.EndsWith('\\'))
            {
                logical.Append(line, 0, line.Length - 1).Append(' ');
                continue;
            }

            logical.Append(line);
            var refusal = Check(StripComment(logical.ToString()).Trim(), firstNumber);
            logical.Clear();
            if (refusal is not null)
            {
                return refusal;
            }
        }

        return logical.Length > 0 ? Check(StripComment(logical.ToString()).Trim(), firstNumber) : null;
    }

    private static string? Check(string line, int number)
    {
        if (line.Length == 0)
        {
            return null;
        }

        if (line.StartsWith('-'))
        {
            return Refuse(number, line, "an option line (like -r, -e, --index-url or --find-links); the node's operator chooses where packages come from, and each requirement must be a package name with an optional version");
        }

        var match = Requirement().Match(line);
        if (!match.Success)
        {
            return Refuse(number, line, "a package name with optional [extras], version specifiers and ; markers, like pandas==2.1.4 (URLs, paths and archives are not accepted)");
        }

        var name = match.Groups["name"].Value;
        if (ArchiveSuffixes.Any(suffix => name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)))
        {
            return Refuse(number, line, "a package name, not an archive file");
        }

        // After the name: only --hash options may follow the requirement itself.
        foreach (var option in match.Groups["options"].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!option.StartsWith("--hash=", StringComparison.Ordinal))
            {
                return Refuse(number, line, "no per-requirement option other than --hash=sha256:...");
            }
        }

        return null;
    }

    private static readonly string[] ArchiveSuffixes = [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"];

    private static string Refuse(int number, string line, string expected) =>
        $"{FileName} line {number} \"{(line.Length > 120 ? line[..120] + "…" : line)}\" is not accepted: expected {expected}.";

    private static string StripComment(string line)
    {
        // A '#' starts a comment at the line's start or after whitespace (pip's rule); inside a token it is data.
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    // PEP 508 name, [extras], version specifiers (bare or in parentheses), '; marker', then pip's per-requirement
    // options: no '@' direct reference, no '/' or ':' of URLs and paths. pip splits a line at its first
    // whitespace-separated token starting with '-' and reads the rest as options, so no part before <options> may hold
    // such a token (the marker stops there). Every whitespace run and repetition is atomic, so a long line is matched in
    // linear time (nested backtracking over whitespace took minutes for a 20 kB line).
    [GeneratedRegex("""
        ^(?<name> [A-Za-z0-9] (?>[A-Za-z0-9._-]*) (?<=[A-Za-z0-9]) )
        (?: (?>\s*) \[ (?>\s*) (?: [A-Za-z0-9] (?>[A-Za-z0-9._-]*) (?<=[A-Za-z0-9]) (?: (?>\s*) , (?>\s*) [A-Za-z0-9] (?>[A-Za-z0-9._-]*) (?<=[A-Za-z0-9]) )* )? (?>\s*) \] )?
        (?: (?>\s*) (?<spec>
              \( (?>\s*) (?>[<>=!~]=?=?) (?>\s*) [A-Za-z0-9*] (?>[A-Za-z0-9.*+!_-]*) (?: (?>\s*) , (?>\s*) (?>[<>=!~]=?=?) (?>\s*) [A-Za-z0-9*] (?>[A-Za-z0-9.*+!_-]*) )* (?: (?>\s*) , )? (?>\s*) \)
            | (?>[<>=!~]=?=?) (?>\s*) [A-Za-z0-9*] (?>[A-Za-z0-9.*+!_-]*) (?: (?>\s*) , (?>\s*) (?>[<>=!~]=?=?) (?>\s*) [A-Za-z0-9*] (?>[A-Za-z0-9.*+!_-]*) )* (?: (?>\s*) , )? ) )?
        (?: (?>\s*) (?<marker> ; (?>(?: (?!\s-) [^@] )*) ) )?
        (?<options> (?>(?: (?>\s+) -- (?>\S+) )*) )$
        """, RegexOptions.CultureInvariant | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Requirement();
}
