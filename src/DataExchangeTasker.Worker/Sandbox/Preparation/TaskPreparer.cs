using System.Globalization;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Governance.Approvals;
using DataExchangeTasker.Images;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// Checks a start message against the file system and the configuration before anything runs:
/// limits within the maxima, paths inside their roots, an entry point, the approved code hash, and (with
/// <paramref name="approvals"/>) that the hash is on the node's approvals list. The code is read once, into a
/// content-addressed snapshot: the bytes hashed are the bytes the container sees. A message naming a runner image
/// gets it only when <paramref name="images"/> approves it (<c>image_not_allowed</c> otherwise, before any file is read);
/// that image's entry file (its label, e.g. <c>run.R</c>) is what a code folder must hold. An image whose supervisor
/// does not speak this tasker's protocol (<see cref="SupervisorProtocol"/>; for the default image as the last health
/// check saw it, <paramref name="defaultImage"/>) runs nothing: <c>image_not_allowed</c>, naming the label expected.
/// </summary>
internal sealed class TaskPreparer(SandboxOptions options, ApprovalList? approvals = null, ApprovedImages? images = null, DefaultImageProtocol? defaultImage = null)
{
    private readonly ApprovedImages _images = images ?? ApprovedImages.None;

    private readonly CodeSnapshotStore _snapshots = new(options.SnapshotRoot);

    /// <summary>Code is mounted below this folder in the container.</summary>
    public const string CodeMount = "/tmp/code";

    /// <summary>Data is mounted below this folder in the container.</summary>
    public const string DataMount = "/tmp/data";

    /// <summary>The configured maxima, which apply when a message asks for nothing lower.</summary>
    public EffectiveLimits MaximumLimits => new(options.TaskTimeout, options.MemoryLimitBytes, options.CpuLimit, options.PidsLimit);

    /// <summary>Returns the prepared task, or why it must not run.</summary>
    public async Task<(PreparedTask? Task, TaskRejection? Rejection)> PrepareAsync(StartMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var selection = _images.Select(message.Image);
        if (selection is ImageRejected rejected)
        {
            return (null, rejected.Rejection);
        }

        if (selection is DefaultImageSelected && defaultImage?.Mismatch is { } mismatch)
        {
            return (null, SupervisorProtocol.Rejection(mismatch));
        }

        var image = (selection as ApprovedImageSelected)?.Image;
        var entryFile = image?.Entry ?? ImageLabels.DefaultEntry;
        var (limits, limitError) = ApplyLimits(message.Limits);
        if (limitError is not null)
        {
            return (null, limitError);
        }

        var (code, codeError) = PathResolver.Resolve(options.CodeRoot, message.CodePath, "codePath", CodeMount);
        if (code is null)
        {
            return (null, codeError);
        }

        var (data, dataError) = PathResolver.Resolve(options.DataRoot, message.DataPath, "dataPath", DataMount);
        if (data is null)
        {
            return (null, dataError);
        }

        // A single file runs when it has the entry's extension (.py for run.py, .R for run.R).
        var extension = Path.GetExtension(entryFile);
        if (!code.IsDirectory && (extension.Length == 0 || !code.HostPath.EndsWith(extension, StringComparison.Ordinal)))
        {
            return (null, new TaskRejection(Reasons.InvalidMessage,
                $"codePath \"{message.CodePath}\" is a file but not a {extension} file; expected a folder with {entryFile}, or a single {extension} file."));
        }

        CodeSnapshot snapshot;
        try
        {
            snapshot = await _snapshots.SnapshotAsync(code.HostPath, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            // Without an approved hash there is no mismatch, but such code cannot be copied faithfully, so it never runs.
            return (null, new TaskRejection(string.IsNullOrEmpty(message.CodeHash?.ETag) ? Reasons.PathNotAllowed : Reasons.HashMismatch,
                $"codePath \"{message.CodePath}\" cannot be hashed: {e.Message}"));
        }

        // Checked in the snapshot, not the live folder: that is what the container will run.
        string entry;
        if (code.IsDirectory)
        {
            if (NativeFiles.KindOf(Path.Combine(snapshot.MountSource, entryFile)) != FileKind.Regular)
            {
                return (null, new TaskRejection(Reasons.PathNotFound,
                    $"codePath \"{message.CodePath}\" is a folder without {entryFile}; expected a folder whose entry point is {entryFile}, or a single {extension} file."));
            }

            entry = code.ContainerPath + "/" + entryFile;
        }
        else
        {
            entry = code.ContainerPath;
        }

        var hashError = CheckHash(message, snapshot.Hash);
        return hashError is null ? (new PreparedTask(message, code, snapshot, data, entry, limits, image), null) : (null, hashError);
    }

    private TaskRejection? CheckHash(StartMessage message, string actual)
    {
        var expected = message.CodeHash?.ETag;
        if (string.IsNullOrEmpty(expected))
        {
            if (options.RequireCodeHash)
            {
                return new TaskRejection(Reasons.HashMismatch, "codeHash.eTag is missing; this tasker only runs code with an approved hash (TASKER_REQUIRE_CODE_HASH=true).");
            }
        }
        else if (!string.Equals(actual, expected.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            return new TaskRejection(Reasons.HashMismatch,
                $"codeHash.eTag \"{expected}\" does not match the code's hash \"{actual}\": the code changed since it was approved.");
        }

        return approvals?.Check(actual) is { Approved: false, Message: var why }
            ? new TaskRejection(Reasons.NotApproved, why ?? "The code is not approved on this node.")
            : null;
    }

    private (EffectiveLimits Limits, TaskRejection? Error) ApplyLimits(TaskLimits? requested)
    {
        var max = MaximumLimits;
        if (requested is null)
        {
            return (max, null);
        }

        string? error = null;
        if (requested.TimeoutSeconds is { } t && (t < StartMessageRules.MinTimeoutSeconds || t > max.Timeout.TotalSeconds))
        {
            error = Describe("limits.timeoutSeconds", t, StartMessageRules.MinTimeoutSeconds, max.Timeout.TotalSeconds);
        }
        else if (requested.MemoryBytes is { } m && (m < StartMessageRules.MinMemoryBytes || m > max.MemoryBytes))
        {
            error = Describe("limits.memoryBytes", m, StartMessageRules.MinMemoryBytes, max.MemoryBytes);
        }
        else if (requested.Cpus is { } c && (c < StartMessageRules.MinCpus || c > max.Cpus))
        {
            error = Describe("limits.cpus", c, StartMessageRules.MinCpus, max.Cpus);
        }
        else if (requested.Pids is { } p && (p < StartMessageRules.MinPids || p > max.Pids))
        {
            error = Describe("limits.pids", p, StartMessageRules.MinPids, max.Pids);
        }

        var limits = new EffectiveLimits(
            requested.TimeoutSeconds is { } ts ? TimeSpan.FromSeconds(ts) : max.Timeout,
            requested.MemoryBytes ?? max.MemoryBytes,
            requested.Cpus ?? max.Cpus,
            requested.Pids ?? max.Pids);
        return (limits, error is null ? null : new TaskRejection(Reasons.InvalidMessage, error));
    }

    private static string Describe(string field, double value, double min, double max) =>
        string.Create(CultureInfo.InvariantCulture, $"{field} {value} is out of range: expected {min} to {max} (the tasker's configured maximum).");
}
