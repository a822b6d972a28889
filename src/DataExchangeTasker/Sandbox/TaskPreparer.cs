using System.Globalization;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Governance;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Checks a start message against the file system and the configuration before anything runs:
/// limits within the maxima, paths inside their roots, an entry point, the approved code hash, and (with
/// <paramref name="approvals"/>) that the hash is on the node's approvals list.
/// </summary>
public sealed class TaskPreparer(SandboxOptions options, ApprovalList? approvals = null)
{
    /// <summary>Code is mounted below this folder in the container.</summary>
    public const string CodeMount = "/tmp/code";

    /// <summary>Data is mounted below this folder in the container.</summary>
    public const string DataMount = "/tmp/data";

    /// <summary>The configured maxima, which apply when a message asks for nothing lower.</summary>
    public EffectiveLimits MaximumLimits => new(options.TaskTimeout, options.MemoryLimitBytes, options.CpuLimit, options.PidsLimit);

    /// <summary>Returns the prepared task, or why it must not run.</summary>
    public async Task<(PreparedTask? Task, TaskRejection? Rejection)> PrepareAsync(StartMessage message, CancellationToken cancellationToken)
    {
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

        string entry;
        if (code.IsDirectory)
        {
            if (!File.Exists(Path.Combine(code.HostPath, "run.py")))
            {
                return (null, new TaskRejection(Reasons.PathNotFound,
                    $"codePath \"{message.CodePath}\" is a folder without run.py; expected a folder whose entry point is run.py, or a single .py file."));
            }

            entry = code.ContainerPath + "/run.py";
        }
        else if (code.HostPath.EndsWith(".py", StringComparison.Ordinal))
        {
            entry = code.ContainerPath;
        }
        else
        {
            return (null, new TaskRejection(Reasons.InvalidMessage,
                $"codePath \"{message.CodePath}\" is a file but not a .py file; expected a folder with run.py, or a single .py file."));
        }

        var hashError = await CheckHashAsync(message, code.HostPath, cancellationToken).ConfigureAwait(false);
        return hashError is null ? (new PreparedTask(message, code, data, entry, limits), null) : (null, hashError);
    }

    private async Task<TaskRejection?> CheckHashAsync(StartMessage message, string codePath, CancellationToken cancellationToken)
    {
        var expected = message.CodeHash?.ETag;
        if (string.IsNullOrEmpty(expected) && approvals is null)
        {
            return options.RequireCodeHash
                ? new TaskRejection(Reasons.HashMismatch, "codeHash.eTag is missing; this tasker only runs code with an approved hash (TASKER_REQUIRE_CODE_HASH=true).")
                : null;
        }

        string actual;
        try
        {
            actual = await CodeHasher.HashAsync(codePath, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            return new TaskRejection(Reasons.HashMismatch, $"codePath \"{message.CodePath}\" cannot be hashed: {e.Message}");
        }

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
        if (requested.TimeoutSeconds is { } t && (t < 1 || t > max.Timeout.TotalSeconds))
        {
            error = Describe("limits.timeoutSeconds", t, 1, max.Timeout.TotalSeconds);
        }
        else if (requested.MemoryBytes is { } m && (m < 6 * 1024 * 1024 || m > max.MemoryBytes))
        {
            error = Describe("limits.memoryBytes", m, 6 * 1024 * 1024, max.MemoryBytes);
        }
        else if (requested.Cpus is { } c && (c < 0.01 || c > max.Cpus))
        {
            error = Describe("limits.cpus", c, 0.01, max.Cpus);
        }
        else if (requested.Pids is { } p && (p < 8 || p > max.Pids))
        {
            error = Describe("limits.pids", p, 8, max.Pids);
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
