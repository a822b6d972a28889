namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// The results root (<c>TASKER_RESULTS_ROOT</c>) could not be written at all: full, read-only, over quota, or not the
/// tasker's to write. Not one entry's fault: the task's output files cannot be stored.
/// </summary>
internal sealed class ResultsUnwritableException : IOException
{
    public ResultsUnwritableException(string root, Exception? inner)
        : base($"The results root {root} cannot be written ({inner?.Message ?? "unknown error"}).", inner)
    {
        Root = root;
    }

    public ResultsUnwritableException()
        : this("", null)
    {
    }

    public ResultsUnwritableException(string root)
        : this(root, null)
    {
    }

    /// <summary>The results root.</summary>
    public string Root { get; }

    /// <summary>
    /// True for what says the disk (not one name) is the trouble: no space (ENOSPC), read-only (EROFS), over quota
    /// (EDQUOT), an I/O error (EIO), or no permission (EACCES, EPERM).
    /// </summary>
    public static bool IsDiskFailure(Exception error) => error switch
    {
        UnauthorizedAccessException => true,
        PathTooLongException => false,
        IOException io => io.HResult is ENoSpc or ERoFs or EDQuot or EIo,
        _ => false,
    };

    private const int EIo = 5;
    private const int ENoSpc = 28;
    private const int ERoFs = 30;
    private const int EDQuot = 122;
}
