using System.Text;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Collection;

namespace DataExchangeTasker.Sandbox.Run;

/// <summary>
/// The tasker's end of a task container's supervisor (<c>runner-image/supervise.sh</c>, protocol version 2): the
/// attach to its stdout and stdin, opened before the container starts. Its stdout carries the supervisor's status
/// lines, then <see cref="ReadyLine"/> and the results block (<see cref="ResultsBlockReader"/>); nothing else writes
/// there (the code's streams go to files, helpers of the code's uid get /dev/null). Its stdin takes one line,
/// <see cref="ReleaseLine"/>, which lets the supervisor exit once the answer is out. Disposing it without that line
/// leaves the supervisor (and the results) up for the collect window, for a restarted tasker to collect.
/// </summary>
internal sealed class SupervisorChannel : IAsyncDisposable
{
    /// <summary>The supervisor's line once its results are final and no process of the code is left; the results block follows it.</summary>
    public const string ReadyLine = "tasker-supervisor: results ready";

    /// <summary>What the tasker writes to the supervisor's stdin to let it exit.</summary>
    public const string ReleaseLine = "tasker: collected";

    /// <summary>The prefix of every line the supervisor writes before its results.</summary>
    public const string StatusPrefix = "tasker-supervisor: ";

    /// <summary>
    /// The status line naming the code's processes still alive when strace ended (the run's trace is then incomplete):
    /// worth a warning in the tasker's log, where an operator (or a failing test's output) sees which process it was.
    /// </summary>
    public const string SurvivorsPrefix = StatusPrefix + "code processes left when strace ended: ";

    /// <summary>The supervisor writes a few short status lines; more than this before its results is not its own.</summary>
    private const long StatusLimitBytes = 64 * 1024;

    private const int StatusLineBytes = 4096;

    private readonly IContainerAttachment _attachment;
    private readonly BufferedStream _stdout;

    private SupervisorChannel(IContainerAttachment attachment)
    {
        _attachment = attachment;
        _stdout = new BufferedStream(attachment.Stdout, 64 * 1024);
    }

    /// <summary>Attaches to the container <paramref name="id"/> (before its start, so no byte is missed).</summary>
    public static async Task<SupervisorChannel> OpenAsync(IDockerEngine docker, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(docker);
        return new SupervisorChannel(await docker.AttachAsync(id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Reads status lines (each passed to <paramref name="statusLine"/>) until <see cref="ReadyLine"/>: true then, with
    /// the channel at the start of the results block; false when the channel ended first (the container exited) or
    /// carried more than 64 KiB of lines.
    /// </summary>
    public async Task<bool> ReadyAsync(Action<string> statusLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statusLine);
        long total = 0;
        while (total < StatusLimitBytes && await ChannelLine.ReadAsync(_stdout, StatusLineBytes, cancellationToken).ConfigureAwait(false) is { } line)
        {
            total += line.Bytes;
            if (line is { Text: ReadyLine, Terminated: true, Overlong: false })
            {
                return true;
            }

            if (line.Text.StartsWith(StatusPrefix, StringComparison.Ordinal))
            {
                statusLine(line.Text);
            }
        }

        return false;
    }

    /// <summary>Reads the results block that follows <see cref="ReadyLine"/> (see <see cref="ResultsBlockReader.ReadAsync"/>).</summary>
    public Task<SupervisorResults> ReadResultsAsync(ResultsBlockLimits limits, Func<Stream, CancellationToken, Task> readOutputs, CancellationToken cancellationToken) =>
        ResultsBlockReader.ReadAsync(_stdout, limits, readOutputs, cancellationToken);

    /// <summary>Tells the supervisor it may exit (the answer is out): it does, and the container ends.</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken) =>
        _attachment.WriteStdinAsync(Encoding.UTF8.GetBytes(ReleaseLine + "\n"), cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stdout.DisposeAsync().ConfigureAwait(false);
        await _attachment.DisposeAsync().ConfigureAwait(false);
    }
}
