namespace DataExchangeTasker.Images;

/// <summary>How an approved image is named in <c>TASKER_IMAGES</c>.</summary>
public enum ImageReferenceKind
{
    /// <summary>The engine's image id, <c>sha256:&lt;64 hex&gt;</c>: content-addressed, cannot be swapped.</summary>
    Id,

    /// <summary>A repository digest, <c>repo@sha256:&lt;64 hex&gt;</c>: content-addressed, cannot be swapped.</summary>
    Digest,

    /// <summary>A tag, <c>repo[:tag]</c>: pinned to the id it has when the tasker starts.</summary>
    Tag,
}
