using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Images;

/// <summary>Which image a start message gets.</summary>
internal abstract record ImageSelection;

/// <summary>The message named no image: the tasker's default runner (<c>TASKER_IMAGE</c>).</summary>
internal sealed record DefaultImageSelected : ImageSelection
{
    /// <summary>The one instance.</summary>
    public static DefaultImageSelected Instance { get; } = new();
}

/// <summary>The message named an approved image.</summary>
internal sealed record ApprovedImageSelected(PinnedImage Image) : ImageSelection;

/// <summary>The message named an image that is not approved: rejected <c>image_not_allowed</c>, nothing runs.</summary>
internal sealed record ImageRejected(TaskRejection Rejection) : ImageSelection;
