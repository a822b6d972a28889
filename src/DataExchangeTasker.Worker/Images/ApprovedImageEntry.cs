namespace DataExchangeTasker.Images;

/// <summary>One entry of <c>TASKER_IMAGES</c>: the name a start message uses and the image it stands for.</summary>
/// <param name="Name">What a start message puts in <c>image</c>, e.g. <c>r</c>.</param>
/// <param name="Reference">The image, as configured (pinned to an id at start-up by <see cref="ImagePinner"/>).</param>
public sealed record ApprovedImageEntry(string Name, ImageReference Reference);
