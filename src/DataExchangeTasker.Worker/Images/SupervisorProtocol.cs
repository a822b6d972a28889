using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Images;

/// <summary>
/// Whether a runner image's supervisor speaks this tasker's protocol (label <see cref="ImageLabels.Supervisor"/> =
/// <see cref="ImageLabels.SupervisorVersion"/>). An image built for an older tasker would run the code all the same
/// (its supervisor reports the old way, and its tracer does not inject this version's refusals): such an image must
/// never run silently, so a task asking for it is rejected <c>image_not_allowed</c> with this reason.
/// </summary>
internal static class SupervisorProtocol
{
    /// <summary>Null when <paramref name="labels"/> carry the version this tasker speaks; otherwise why not, naming the image and the label expected.</summary>
    public static string? Mismatch(string image, IEnumerable<KeyValuePair<string, string>>? labels)
    {
        var found = labels?.FirstOrDefault(l => l.Key == ImageLabels.Supervisor).Value;
        if (found == ImageLabels.SupervisorVersion)
        {
            return null;
        }

        var seen = found is null ? "has no label " + ImageLabels.Supervisor : $"has {ImageLabels.Supervisor}=\"{Shorten(found)}\"";
        return $"runner image \"{Shorten(image)}\" {seen}; this tasker needs {ImageLabels.Supervisor}={ImageLabels.SupervisorVersion} " +
            "(a supervisor that speaks its protocol): rebuild the image from this tasker's runner-image/.";
    }

    /// <summary>The rejection of a task whose image does not speak the protocol.</summary>
    public static TaskRejection Rejection(string mismatch) => new(Reasons.ImageNotAllowed, mismatch);

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";
}
