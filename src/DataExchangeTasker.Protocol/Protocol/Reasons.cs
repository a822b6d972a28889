namespace DataExchangeTasker.Protocol;

/// <summary>Machine-readable values of the done message's <c>reason</c> field (null on success).</summary>
internal static class Reasons
{
    /// <summary>The code exited with a non-zero status.</summary>
    public const string ExitCode = "exit_code";

    /// <summary>The code ran past its time limit and was killed; partial output is kept.</summary>
    public const string Timeout = "timeout";

    /// <summary>A publisher cancelled the task (<c>{"cancel": taskId}</c> on <c>tasker_control</c>); output so far is kept.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The engine reported the container was killed for exceeding its memory limit.</summary>
    public const string Oom = "oom";

    /// <summary>The code was killed by a signal other than the tasker's timeout or the OOM killer.</summary>
    public const string Signal = "signal";

    /// <summary>
    /// The syscall trace ended before the code did (the tracer died: OOM, a limit, anything), or a process of the
    /// code outlived it: the run is not fully traced, so it cannot count as a success.
    /// </summary>
    public const string TraceIncomplete = "trace_incomplete";

    /// <summary>
    /// The code ran, but its output files could not be stored: the results root (<c>TASKER_RESULTS_ROOT</c>, named in
    /// <c>output</c>) is full, read-only or not writable. Streams and trace are in the answer; no file is kept.
    /// </summary>
    public const string ResultsUnwritable = "results_unwritable";

    /// <summary>The Docker engine failed (after retries); the code may not have run.</summary>
    public const string Infrastructure = "infrastructure";

    /// <summary>The start message had a usable taskId but a missing, mistyped or out-of-range field.</summary>
    public const string InvalidMessage = "invalid_message";

    /// <summary><c>codePath</c> or <c>dataPath</c> (or the folder's <c>run.py</c>) does not exist.</summary>
    public const string PathNotFound = "path_not_found";

    /// <summary>A path is absolute, has <c>..</c> segments or resolves outside its root.</summary>
    public const string PathNotAllowed = "path_not_allowed";

    /// <summary>
    /// The object mounted at <c>/tmp/data/&lt;dataPath&gt;</c> is not the one the tasker resolved (a path component
    /// was swapped, e.g. for a symbolic link, in between); the code did not run.
    /// </summary>
    public const string PathChanged = "path_changed";

    /// <summary><c>codeHash.eTag</c> differs from the code's content hash, or is required and missing.</summary>
    public const string HashMismatch = "hash_mismatch";

    /// <summary>The code's hash is not in the node's approvals file (<c>TASKER_APPROVALS_FILE</c>), or that file is unusable.</summary>
    public const string NotApproved = "not_approved";

    /// <summary>
    /// The start message's <c>image</c> names no runner image this node approves (<c>TASKER_IMAGES</c>), or the image
    /// the task would run in lacks the label <c>dataexchange.tasker.supervisor=2</c> (built for another tasker version).
    /// </summary>
    public const string ImageNotAllowed = "image_not_allowed";

    /// <summary>
    /// The code folder's <c>requirements.txt</c> could not be installed (pip failed, took too long, or a line is not
    /// accepted); <c>output</c> carries pip's output. The code did not run.
    /// </summary>
    public const string DependenciesFailed = "dependencies_failed";
}
