using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Sandbox.Claims;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// Labels on every task container, so a tasker can find its containers again after a crash (adoption,
/// cleanup), and the deterministic names derived from a taskId.
/// </summary>
internal static class ContainerLabels
{
    /// <summary>Present on every container a tasker creates.</summary>
    public const string Managed = "dataexchange.tasker";

    /// <summary>The start message's taskId.</summary>
    public const string TaskId = "dataexchange.tasker.task-id";

    /// <summary>The identity (<c>TASKER_ID</c>) of the tasker that created it.</summary>
    public const string Owner = "dataexchange.tasker.owner";

    /// <summary>
    /// When the code's time limit ends (Unix seconds, from the container's creation): a container nobody claims (its
    /// tasker crashed) is stopped that long plus the collect window after, never before, whatever the backlog.
    /// </summary>
    public const string Deadline = "dataexchange.tasker.deadline";

    /// <summary>When a kept-alive container may be removed (Unix seconds).</summary>
    public const string KeepUntil = "dataexchange.tasker.keep-until";

    /// <summary>
    /// A name safe for the engine and the file system, the same for the same taskId on the same tasker,
    /// so a redelivered message finds (and cannot duplicate) the container of its first delivery.
    /// </summary>
    public static string TaskKey(string taskerId, string taskId) => Name("tasker-", taskerId, taskId);

    /// <summary>
    /// The name of the container installing the requirements of cache key <paramref name="dependencyKey"/>: the same
    /// on this tasker, so two installs of one key cannot both exist here.
    /// </summary>
    public static string PreparationKey(string taskerId, string dependencyKey) => Name("tasker-deps-", taskerId, "deps:" + dependencyKey);

    private static string Name(string prefix, string taskerId, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(taskerId + "\n" + key));
        return prefix + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}
