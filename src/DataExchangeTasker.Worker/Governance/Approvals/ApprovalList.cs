using System.Text;

namespace DataExchangeTasker.Governance.Approvals;

/// <summary>
/// The node's list of approved code hashes (<c>TASKER_APPROVALS_FILE</c>), re-read whenever the file changes:
/// each lookup compares the file's device, inode, size and modification time with what was last read (one
/// <c>statx</c>), so an edit, or a replacement by rename, takes effect on the next task without a restart.
/// A missing, unreadable or malformed file approves nothing: every task is rejected with a message saying why.
/// </summary>
internal sealed class ApprovalList(string path)
{
    private readonly Lock _gate = new();
    private FileStatus? _loadedFrom;
    private IReadOnlyDictionary<string, string> _approved = new Dictionary<string, string>();
    private string? _problem = "not read yet";

    /// <summary>The approvals file.</summary>
    public string Path => path;

    /// <summary>Whether <paramref name="codeHash"/> may run, with the reason when it may not.</summary>
    public ApprovalDecision Check(string codeHash)
    {
        lock (_gate)
        {
            Refresh();
            if (_problem is not null)
            {
                return new ApprovalDecision(false,
                    $"The approvals file \"{path}\" (TASKER_APPROVALS_FILE) {_problem}, so no code is approved on this node; code hash \"{codeHash}\" was not run.");
            }

            return _approved.ContainsKey(codeHash.Trim().ToLowerInvariant())
                ? ApprovalDecision.Yes
                : new ApprovalDecision(false,
                    $"Code hash \"{codeHash}\" is not in the approvals file \"{path}\": this node only runs approved code (ask the data owner to run tasker approve).");
        }
    }

    private void Refresh()
    {
        // Followed: an administrator may keep the list elsewhere and link it; a relinked file is a new inode.
        var status = FileStatus.Of(path, followLink: true);
        if (status is null)
        {
            Forget("does not exist or cannot be reached");
            return;
        }

        if (status == _loadedFrom)
        {
            return;
        }

        if (!status.IsRegularFile)
        {
            Forget("is not a regular file");
            return;
        }

        if (status.Size > ApprovalFile.MaxBytes)
        {
            Forget($"is larger than {ApprovalFile.MaxBytes} bytes");
            return;
        }

        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Forget("cannot be read (" + e.Message + ")");
            return;
        }

        var (approved, errors) = ApprovalFile.Parse(text);
        _loadedFrom = status;
        if (errors.Count > 0)
        {
            _approved = new Dictionary<string, string>();
            _problem = "is malformed (" + string.Join("; ", errors.Take(3)) + (errors.Count > 3 ? "; ..." : "") + ")";
            return;
        }

        _approved = approved;
        _problem = null;
    }

    private void Forget(string problem)
    {
        _loadedFrom = null;
        _approved = new Dictionary<string, string>();
        _problem = problem;
    }
}
