using System.Collections.Concurrent;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Support;

/// <summary>
/// A done publisher whose "confirm" for chosen task ids waits until the test releases it (a slow broker), and which
/// refuses chosen task ids (a publish that never gets confirmed). Safe to share between lanes.
/// </summary>
internal sealed class GatedDonePublisher(EventLog log) : IDonePublisher
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new(StringComparer.Ordinal);

    /// <summary>Task ids whose publish throws instead of being confirmed.</summary>
    public ConcurrentDictionary<string, bool> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>Holds the confirm of <paramref name="taskId"/> until <see cref="Release"/>.</summary>
    public void Hold(string taskId) => _gates[taskId] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the held confirm of <paramref name="taskId"/> arrive.</summary>
    public void Release(string taskId) => _gates[taskId].SetResult();

    /// <summary>Completes once the publish of <paramref name="taskId"/> has begun.</summary>
    public Task Started(string taskId) => StartedSource(taskId).Task;

    /// <inheritdoc />
    public async Task PublishAsync(DoneMessage done, InboundDelivery request, string? traceParent, CancellationToken cancellationToken)
    {
        log.Add("publish " + done.TaskId);
        StartedSource(done.TaskId).TrySetResult();
        if (_gates.TryGetValue(done.TaskId, out var gate))
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Refused.ContainsKey(done.TaskId))
        {
            throw new IOException("the broker closed the channel");
        }

        log.Add("confirmed " + done.TaskId);
    }

    private TaskCompletionSource StartedSource(string taskId) =>
        _started.GetOrAdd(taskId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
