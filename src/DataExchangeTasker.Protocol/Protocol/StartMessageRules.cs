using System.Globalization;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// The one source of what a start message's fields may hold: taskId, codePath/dataPath (their form; whether they exist
/// is the preparer's question), limits (their lower bounds; the upper ones are the tasker's configuration) and image.
/// The worker's <see cref="StartMessageParser"/> and the preparer's limit checks use it, and so does the api before it
/// accepts a submission, so whatever the api accepts no worker refuses as malformed.
/// </summary>
public static class StartMessageRules
{
    /// <summary>Longest usable taskId.</summary>
    public const int MaxTaskIdLength = 256;

    /// <summary>Longest usable image name; whether a name is approved is decided later (<c>image_not_allowed</c>).</summary>
    public const int MaxImageLength = 256;

    /// <summary>Longest codePath or dataPath the api accepts.</summary>
    public const int MaxPathLength = 1024;

    /// <summary>Smallest <c>limits.timeoutSeconds</c>.</summary>
    public const long MinTimeoutSeconds = 1;

    /// <summary>Smallest <c>limits.memoryBytes</c>: below 6 MiB the sealed runner (supervisor and strace) cannot start.</summary>
    public const long MinMemoryBytes = 6 * 1024 * 1024;

    /// <summary>Smallest <c>limits.cpus</c>.</summary>
    public const double MinCpus = 0.01;

    /// <summary>Smallest <c>limits.pids</c>: the supervisor, strace and the interpreter need a few processes of their own.</summary>
    public const long MinPids = 8;

    /// <summary>Null when <paramref name="taskId"/> is usable, else what is wrong with it (a sentence naming the field).</summary>
    public static string? CheckTaskId(string taskId) => taskId switch
    {
        _ when string.IsNullOrWhiteSpace(taskId) => "taskId is empty: expected a non-empty string",
        { Length: > MaxTaskIdLength } => $"taskId is {taskId.Length} characters long; expected at most {MaxTaskIdLength}",
        _ when taskId.Any(char.IsControl) => "taskId contains control characters; expected printable text",
        _ => null,
    };

    /// <summary>Null when <paramref name="image"/> is a usable image name, else what is wrong with it.</summary>
    public static string? CheckImage(string image) => image switch
    {
        _ when image.Trim().Length == 0 => "image is empty: expected the name of an approved runner image, or leave it out",
        { Length: > MaxImageLength } => $"image is {image.Length} characters long; expected at most {MaxImageLength}",
        _ when image.Any(char.IsControl) => "image contains control characters; expected the name of an approved runner image",
        _ => null,
    };

    /// <summary>
    /// Null when <paramref name="path"/> has the form of a path inside its root, else what is wrong: empty, absolute, a
    /// <c>..</c> segment, control characters (the preparer refuses the same as <c>path_not_allowed</c>, and the
    /// worker's parser refuses an empty one as <c>invalid_message</c>).
    /// </summary>
    public static string? CheckPath(string field, string path) => path switch
    {
        _ when path.Trim().Length == 0 || path.Split('/', StringSplitOptions.RemoveEmptyEntries).All(s => s == ".") => $"{field} is empty: expected a path inside its root",
        { Length: > MaxPathLength } => $"{field} is {path.Length} characters long; expected at most {MaxPathLength}",
        _ when path.StartsWith('/') => $"{field} is absolute; expected a path relative to its root",
        _ when path.Split('/').Contains("..") => $"{field} contains a \"..\" segment; expected a path inside its root",
        _ when path.Any(char.IsControl) => $"{field} contains control characters",
        _ => null,
    };

    /// <summary>
    /// Null when the <paramref name="limits"/> asked for lie between the lower bounds above and <paramref name="maximum"/>
    /// (the tasker's configuration; null: no upper bound known here), else the first one that does not, with the range.
    /// </summary>
    public static LimitProblem? CheckLimits(TaskLimits limits, TaskLimits? maximum = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.TimeoutSeconds is { } t && (t < MinTimeoutSeconds || t > (maximum?.TimeoutSeconds ?? int.MaxValue)))
        {
            return new LimitProblem("limits.timeoutSeconds", t, MinTimeoutSeconds, maximum?.TimeoutSeconds ?? int.MaxValue);
        }

        if (limits.MemoryBytes is { } m && (m < MinMemoryBytes || m > (maximum?.MemoryBytes ?? long.MaxValue)))
        {
            return new LimitProblem("limits.memoryBytes", m, MinMemoryBytes, maximum?.MemoryBytes ?? long.MaxValue);
        }

        if (limits.Cpus is { } c && (c < MinCpus || c > (maximum?.Cpus ?? 1024)))
        {
            return new LimitProblem("limits.cpus", c, MinCpus, maximum?.Cpus ?? 1024);
        }

        return limits.Pids is { } p && (p < MinPids || p > (maximum?.Pids ?? 1_000_000))
            ? new LimitProblem("limits.pids", p, MinPids, maximum?.Pids ?? 1_000_000)
            : null;
    }
}

/// <summary>A limit outside its range.</summary>
/// <param name="Field">e.g. <c>limits.pids</c>.</param>
/// <param name="Value">What was asked for.</param>
/// <param name="Min">The lower bound (<see cref="StartMessageRules"/>).</param>
/// <param name="Max">The upper bound.</param>
public sealed record LimitProblem(string Field, double Value, double Min, double Max)
{
    /// <summary>"from 8 to 128", for error messages.</summary>
    public string Range => string.Create(CultureInfo.InvariantCulture, $"{Min} to {Max}");
}
