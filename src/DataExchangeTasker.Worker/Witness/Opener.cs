namespace DataExchangeTasker.Witness;

/// <summary>Who made an open, as far as the host could still tell when it read the event.</summary>
internal enum OpenerKind
{
    /// <summary>The process had exited by then (or could not be read): only the mount it opened through is known.</summary>
    Gone,

    /// <summary>A process in no container (the tasker, a backup job, an operator's shell).</summary>
    Host,

    /// <summary>A process in a container (<see cref="Opener.ContainerId"/>).</summary>
    Container,
}

/// <summary>The process behind an open.</summary>
/// <param name="Kind">Whether it was still there, and where it ran.</param>
/// <param name="ContainerId">Its container, for <see cref="OpenerKind.Container"/>.</param>
/// <param name="Root">
/// Every uid of the process is 0. In a task container only the runtime's side runs as root (the supervisor,
/// strace, the tasker's collecting exec); the code never does (<c>TASKER_USER</c> is never 0, and it cannot
/// gain privileges), so such an open is not the code's.
/// </param>
internal readonly record struct Opener(OpenerKind Kind, string? ContainerId, bool Root)
{
    /// <summary>An opener that was gone.</summary>
    public static Opener Gone { get; } = new(OpenerKind.Gone, null, false);
}
