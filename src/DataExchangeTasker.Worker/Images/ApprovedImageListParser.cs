using System.Text.RegularExpressions;

namespace DataExchangeTasker.Images;

/// <summary>
/// Parses <c>TASKER_IMAGES</c>: comma-separated <c>name=image</c> entries, e.g.
/// <c>python=dataexchange-tasker-runner:latest, r=sha256:0123…</c>. Names are 1–63 characters of lower-case
/// letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or digit, each used once; an image is a
/// full id, a repository digest or a tag (see <see cref="ImageReference"/>). White space around entries is ignored.
/// </summary>
internal static partial class ApprovedImageListParser
{
    /// <summary>The entries of <paramref name="text"/>, or null with every problem in <paramref name="errors"/>.</summary>
    public static IReadOnlyList<ApprovedImageEntry>? TryParse(string text, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var entries = new List<ApprovedImageEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = raw.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                problems.Add($"\"{raw}\" has no name: expected name=image");
                continue;
            }

            var name = raw[..equals].Trim();
            var image = raw[(equals + 1)..].Trim();
            if (!NamePattern().IsMatch(name))
            {
                problems.Add($"\"{name}\" is not an image name: expected 1-63 of a-z 0-9 . _ - starting with a letter or digit");
            }
            else if (!names.Add(name))
            {
                problems.Add($"\"{name}\" is listed twice");
            }

            if (ImageReference.TryParse(image, out var error) is { } reference)
            {
                entries.Add(new ApprovedImageEntry(name, reference));
            }
            else
            {
                problems.Add(error!);
            }
        }

        if (problems.Count == 0 && entries.Count == 0)
        {
            problems.Add("no entries: expected name=image[, name=image...]");
        }

        errors = problems;
        return problems.Count == 0 ? entries : null;
    }

    /// <summary>True when <paramref name="name"/> could be a name in the list (what a start message's <c>image</c> is checked against).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();
}
