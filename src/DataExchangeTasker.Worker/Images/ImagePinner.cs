using System.Text.RegularExpressions;
using DataExchangeTasker.Docker;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Images;

/// <summary>
/// Resolves each <c>TASKER_IMAGES</c> entry to the engine's image id once, at start-up, and reads how code starts
/// in it from its labels. Tasks then run the pinned id: a tag moved to another image afterwards (a retag, a
/// rebuild) changes nothing until the tasker restarts, and an id or digest entry can never mean other content.
/// </summary>
internal static partial class ImagePinner
{
    /// <summary>
    /// Inspects every entry; throws <see cref="ImagePinningException"/> listing every image that is missing, whose
    /// id or digest does not match, or whose labels are unusable. Engine failures propagate as
    /// <see cref="DockerApiException"/> (each call has the engine client's deadline).
    /// </summary>
    public static async Task<ApprovedImages> PinAsync(IReadOnlyList<ApprovedImageEntry> entries, IDockerEngine docker, CancellationToken cancellationToken)
    {
        var pinned = new List<PinnedImage>();
        var errors = new List<string>();
        foreach (var entry in entries)
        {
            var inspected = await docker.InspectImageAsync(entry.Reference.Text, cancellationToken).ConfigureAwait(false);
            if (Pin(entry, inspected, errors) is { } image)
            {
                pinned.Add(image);
            }
        }

        return errors.Count > 0 ? throw new ImagePinningException(errors) : new ApprovedImages(pinned);
    }

    /// <summary>The pinned image for one inspected entry, or null with the problems added to <paramref name="errors"/>.</summary>
    public static PinnedImage? Pin(ApprovedImageEntry entry, ImageInspectResponse? inspected, List<string> errors)
    {
        var where = $"{entry.Name}={entry.Reference.Text}";
        if (inspected is null || string.IsNullOrEmpty(inspected.ID))
        {
            errors.Add($"{where}: the engine has no such image (build or load it first)");
            return null;
        }

        // The engine resolves an id *prefix* or a digest of another repository too; only an exact match pins what
        // the operator wrote.
        var exact = entry.Reference.Kind switch
        {
            ImageReferenceKind.Id => string.Equals(inspected.ID, entry.Reference.Text, StringComparison.Ordinal),
            ImageReferenceKind.Digest => inspected.RepoDigests?.Contains(entry.Reference.Text, StringComparer.Ordinal) == true,
            _ => true,
        };
        if (!exact)
        {
            errors.Add($"{where}: the engine resolved it to {inspected.ID}, which is not that {(entry.Reference.Kind == ImageReferenceKind.Id ? "id" : "digest")}");
            return null;
        }

        var labels = inspected.Config?.Labels;
        var entryFile = Label(labels, ImageLabels.Entry) ?? ImageLabels.DefaultEntry;
        var interpreter = Label(labels, ImageLabels.Interpreter) ?? ImageLabels.DefaultInterpreter;
        var usable = true;
        if (!EntryPattern().IsMatch(entryFile) || entryFile is "." or "..")
        {
            errors.Add($"{where}: label {ImageLabels.Entry}=\"{entryFile}\" is not a plain file name like run.R");
            usable = false;
        }

        if (!InterpreterPattern().IsMatch(interpreter))
        {
            errors.Add($"{where}: label {ImageLabels.Interpreter}=\"{interpreter}\" is not a program name or absolute path like Rscript or /usr/bin/python3");
            usable = false;
        }

        // Pinned all the same: one image built for an older tasker does not stop the others; its tasks are rejected.
        return usable
            ? new PinnedImage(entry.Name, entry.Reference.Text, inspected.ID, entryFile, interpreter) { SupervisorMismatch = SupervisorProtocol.Mismatch(entry.Reference.Text, labels) }
            : null;
    }

    private static string? Label(IDictionary<string, string>? labels, string name) =>
        labels is not null && labels.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex EntryPattern();

    // Passed to the supervisor as one argv word (TASKER_INTERPRETER): no spaces, no option-looking first character.
    [GeneratedRegex("^/?[A-Za-z0-9._+][A-Za-z0-9._+-]*(/[A-Za-z0-9._+-]+)*$")]
    private static partial Regex InterpreterPattern();
}
