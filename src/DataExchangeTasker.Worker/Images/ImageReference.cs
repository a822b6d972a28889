using System.Text.RegularExpressions;

namespace DataExchangeTasker.Images;

/// <summary>A runner image as the operator named it: an image id, a repository digest or a tag.</summary>
/// <param name="Text">What the engine is asked to inspect, exactly as configured.</param>
/// <param name="Kind">Which of the three forms <paramref name="Text"/> is.</param>
public sealed partial record ImageReference(string Text, ImageReferenceKind Kind)
{
    /// <summary>Classifies <paramref name="text"/>; null with <paramref name="error"/> set when it is none of the three forms.</summary>
    public static ImageReference? TryParse(string text, out string? error)
    {
        error = null;
        if (IdPattern().IsMatch(text))
        {
            return new ImageReference(text, ImageReferenceKind.Id);
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (RepositoryPattern().IsMatch(text[..at]) && IdPattern().IsMatch(text[(at + 1)..]))
            {
                return new ImageReference(text, ImageReferenceKind.Digest);
            }

            error = $"\"{text}\" is not a repository digest like repo@sha256:<64 lower-case hex>";
            return null;
        }

        // A short id prefix would be ambiguous, and anything else that is hex-only the engine would read as an id
        // prefix too: only full ids are accepted.
        if (text.StartsWith("sha256:", StringComparison.Ordinal) || HexOnlyPattern().IsMatch(text))
        {
            error = $"\"{text}\" is not a full image id: expected sha256: and 64 lower-case hex characters";
            return null;
        }

        if (TagPattern().IsMatch(text))
        {
            return new ImageReference(text, ImageReferenceKind.Tag);
        }

        error = $"\"{text}\" is not an image id (sha256:<64 hex>), a digest (repo@sha256:<64 hex>) or a tag (repo[:tag])";
        return null;
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9a-f]{12,64}$")]
    private static partial Regex HexOnlyPattern();

    // Docker's reference grammar, simplified: optional registry host[:port]/, lower-case path components, optional :tag.
    [GeneratedRegex(@"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$")]
    private static partial Regex TagPattern();
}
