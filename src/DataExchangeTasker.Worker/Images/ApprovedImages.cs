using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Images;

/// <summary>The runner images start messages may ask for by name, pinned to their ids (<see cref="ImagePinner"/>).</summary>
internal sealed class ApprovedImages
{
    private readonly Dictionary<string, PinnedImage> _byName;

    /// <summary>A set of pinned images; names must be unique.</summary>
    public ApprovedImages(IEnumerable<PinnedImage> images) =>
        _byName = images.ToDictionary(i => i.Name, StringComparer.Ordinal);

    /// <summary>No image may be asked for: every message that names one is rejected.</summary>
    public static ApprovedImages None { get; } = new([]);

    /// <summary>The approved images, by name.</summary>
    public IReadOnlyCollection<PinnedImage> All => _byName.Values;

    /// <summary>
    /// The image for a start message's <c>image</c> field: the default runner when it is null, the pinned image when
    /// the name is approved (and its supervisor speaks this tasker's protocol), otherwise a rejection naming the value
    /// and the approved names (or the label the image lacks).
    /// </summary>
    public ImageSelection Select(string? requested)
    {
        if (requested is null)
        {
            return DefaultImageSelected.Instance;
        }

        if (_byName.TryGetValue(requested, out var image))
        {
            return image.SupervisorMismatch is { } mismatch
                ? new ImageRejected(SupervisorProtocol.Rejection($"image \"{Printable(requested)}\": {mismatch}"))
                : new ApprovedImageSelected(image);
        }

        var approved = _byName.Count == 0
            ? "this node approves no images besides its default runner (TASKER_IMAGES is not set)"
            : "approved here: " + string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal));
        return new ImageRejected(new TaskRejection(Reasons.ImageNotAllowed,
            $"image \"{Printable(requested)}\" is not an approved runner image; {approved}."));
    }

    // The parser already refused control characters; only the length is the publisher's to choose.
    private static string Printable(string value) => value.Length <= 64 ? value : value[..61] + "...";
}
