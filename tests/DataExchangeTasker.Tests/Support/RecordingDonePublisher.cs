using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Support;

/// <summary>A done publisher that records what it would have published, or fails when told to.</summary>
internal sealed class RecordingDonePublisher(EventLog log) : IDonePublisher
{
    /// <summary>When set, publishing throws it (as if the broker never confirmed before shutdown).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Done messages published.</summary>
    public List<DoneMessage> Published { get; } = [];

    /// <inheritdoc />
    public Task PublishAsync(DoneMessage done, InboundDelivery request, string? traceParent, CancellationToken cancellationToken)
    {
        if (Failure is not null)
        {
            return Task.FromException(Failure);
        }

        Published.Add(done);
        log.Add("publish " + done.TaskId);
        return Task.CompletedTask;
    }
}
