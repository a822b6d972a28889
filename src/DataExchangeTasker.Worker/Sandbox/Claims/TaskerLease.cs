namespace DataExchangeTasker.Sandbox.Claims;

/// <summary>
/// A running tasker's claim on its identity in a work root: <c>leases/&lt;TASKER_ID&gt;.lock</c>, held with an exclusive
/// <c>flock</c> for the tasker's lifetime. The kernel drops the lock when the process ends however it ends (even
/// <c>kill -9</c>), so a held lease means a live tasker and nothing else. <c>tasker cleanup</c> leaves the containers
/// of a tasker whose lease is held alone; a second tasker with the same id and work root cannot start.
/// </summary>
public sealed class TaskerLease : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly FileStream _lock;

    private TaskerLease(FileStream held) => _lock = held;

    /// <summary>Takes the lease of <paramref name="taskerId"/> in <paramref name="workRoot"/>; throws when a live tasker holds it.</summary>
    public static TaskerLease Acquire(string workRoot, string taskerId)
    {
        var path = PathOf(workRoot, taskerId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, OwnerOnly);
        try
        {
            // FileShare.None is an exclusive, non-blocking flock on Unix.
            return new TaskerLease(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new Configuration.ConfigurationException(
                $"Another tasker with TASKER_ID={taskerId} is running on the work root {workRoot} (it holds {path}); give each tasker its own TASKER_ID. ({e.Message})");
        }
    }

    /// <summary>True when the tasker <paramref name="taskerId"/> runs now on <paramref name="workRoot"/>.</summary>
    public static bool IsHeld(string workRoot, string taskerId) => IsLocked(PathOf(workRoot, taskerId));

    private static bool IsLocked(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            // Locked: its tasker runs.
            return true;
        }
    }

    private static string PathOf(string workRoot, string taskerId)
    {
        // A TASKER_ID that is not a plain file name (it defaults to the host name, but may be anything) is hashed.
        var plain = taskerId.Length is > 0 and <= 100 && taskerId[0] != '.' && taskerId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        var name = plain ? taskerId : "id-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(taskerId)))[..32];
        return Path.Combine(workRoot, "leases", name + ".lock");
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
