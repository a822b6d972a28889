using DataExchangeTasker.Docker;
using Docker.DotNet.Models;
using Serilog;

namespace DataExchangeTasker.Sandbox.Run;

/// <summary>
/// One sealed container as both the task run (<see cref="SandboxRunner"/>) and the preparation container
/// (<c>Dependencies/PreparationContainer</c>) drive it: created from its sealed spec, attached before its start where
/// its stdout matters, started, followed with a deadline, collected through <c>docker exec tar</c> as a given uid, and
/// removed with a deadline of its own. It is the one home of the deadlines and caps those steps share.
/// </summary>
/// <remarks>
/// Who removes the container is decided at creation: <see cref="CreateAsync"/> with <c>removeOnDispose</c> makes
/// this object the owner (its <see cref="DisposeAsync"/> removes it whatever happened); without it, the container
/// outlives the object (a task's stays, as the evidence that it ran, until its answer is out).
/// </remarks>
internal sealed class SealedContainer : IAsyncDisposable
{
    /// <summary>
    /// How long a container stays up for the tasker to collect it once its work is done (the supervisor's results, or
    /// the installed site), also across a tasker restart; the tasker removes it as soon as it has them.
    /// </summary>
    public static readonly TimeSpan CollectWindow = TimeSpan.FromMinutes(10);

    /// <summary>How long a task's code has to stop after the timeout signal before the container is killed outright.</summary>
    public static readonly TimeSpan TimeoutGrace = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of reading a collection (the results block, or one collecting exec): up to a size limit of files at disk speed.</summary>
    public static readonly TimeSpan CollectDeadline = TimeSpan.FromMinutes(5);

    /// <summary>Deadline of the removal by an owner: a cancelled caller must not leave the container running.</summary>
    public static readonly TimeSpan RemovalDeadline = TimeSpan.FromSeconds(30);

    private readonly IDockerEngine _docker;
    private readonly ILogger? _removalLog;

    private SealedContainer(IDockerEngine docker, string id, ILogger? removalLog)
    {
        _docker = docker;
        Id = id;
        _removalLog = removalLog;
    }

    /// <summary>The engine's id of the container.</summary>
    public string Id { get; }

    /// <summary>The short form of <see cref="Id"/>, for logs.</summary>
    public string ShortId => ContainerIds.Shorten(Id);

    /// <summary>
    /// Creates the container <paramref name="name"/> from <paramref name="spec"/>. With <paramref name="removeOnDispose"/>
    /// (a logger for a failed removal), disposing the returned object removes it; without, its removal is the caller's.
    /// A conflict (the name is taken) surfaces as the engine's <see cref="DockerApiException"/>.
    /// </summary>
    public static async Task<SealedContainer> CreateAsync(IDockerEngine docker, string name, CreateContainerParameters spec, ILogger? removeOnDispose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(docker);
        var id = await docker.CreateContainerAsync(name, spec, cancellationToken).ConfigureAwait(false);
        return new SealedContainer(docker, id, removeOnDispose);
    }

    /// <summary>A container an earlier delivery created (adopted): collected through this object, never removed by it.</summary>
    public static SealedContainer Existing(IDockerEngine docker, string id) => new(docker, id, null);

    /// <summary>/tmp/out (or an installed site) holds no more than <paramref name="sizeLimitBytes"/>; allow for tar's headers and padding, no more.</summary>
    public static long ArchiveCap(long sizeLimitBytes) => sizeLimitBytes + (sizeLimitBytes / 10) + (16L * 1024 * 1024);

    /// <summary>Attaches to the supervisor; call it before <see cref="StartAsync"/>: the engine keeps no copy of the container's stdout.</summary>
    public Task<SupervisorChannel> AttachSupervisorAsync(CancellationToken cancellationToken) =>
        SupervisorChannel.OpenAsync(_docker, Id, cancellationToken);

    /// <summary>Starts the created container.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _docker.StartContainerAsync(Id, cancellationToken);

    /// <summary>The container's stdout log as lines, until it ends, passes <paramref name="maxBytes"/>, or <paramref name="deadline"/> passes (then <see cref="OperationCanceledException"/>).</summary>
    public async IAsyncEnumerable<string> FollowLogLinesAsync(long maxBytes, TimeSpan deadline, TimeProvider time, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(deadline, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        await foreach (var line in _docker.FollowLogLinesAsync(Id, maxBytes, bounded.Token).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    /// <summary>How the container stands now; null when it is gone.</summary>
    public async Task<ContainerStanding?> StandingAsync(CancellationToken cancellationToken) =>
        (await _docker.InspectContainerAsync(Id, cancellationToken).ConfigureAwait(false))?.State is { } state
            ? new ContainerStanding(state.Running, state.OOMKilled, state.ExitCode)
            : null;

    /// <summary>
    /// Streams <c>tar -cf - -C <paramref name="folder"/> <paramref name="entries"/></c>, run in the container as
    /// <paramref name="user"/>, to <paramref name="read"/>, within <see cref="CollectDeadline"/>.
    /// </summary>
    public Task<ExecResult> TarAsync(string user, string folder, IReadOnlyList<string> entries, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken) =>
        ExecAsync(user, ["tar", "-cf", "-", "-C", folder, .. entries], read, cancellationToken);

    /// <summary>Runs <paramref name="command"/> in the container as <paramref name="user"/>, its stdout to <paramref name="read"/>, within <see cref="CollectDeadline"/>.</summary>
    public async Task<ExecResult> ExecAsync(string user, IList<string> command, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        var exec = await _docker.CreateExecAsync(Id, new ContainerExecCreateParameters
        {
            User = user,
            AttachStdout = true,
            AttachStderr = true,
            AttachStdin = false,
            TTY = false,
            Privileged = false,
            Cmd = command,
        }, cancellationToken).ConfigureAwait(false);
        return await _docker.RunExecAsync(exec, read, CollectDeadline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the container when this object owns it (see <see cref="CreateAsync"/>), within <see cref="RemovalDeadline"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_removalLog is null)
        {
            return;
        }

        using var removal = new CancellationTokenSource(RemovalDeadline);
        try
        {
            await _docker.RemoveContainerAsync(Id, removal.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException or OperationCanceledException)
        {
            _removalLog.Warning("Could not remove container {ContainerId:l} (the leftover sweep will): {Error}", ShortId, e.Message);
        }
    }
}
