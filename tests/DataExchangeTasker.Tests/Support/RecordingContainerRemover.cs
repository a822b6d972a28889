using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Sandbox.Claims;

namespace DataExchangeTasker.Tests.Support;

/// <summary>A container remover that records which containers it would have removed, and releases their claims.</summary>
internal sealed class RecordingContainerRemover(EventLog log) : ITaskContainerRemover
{
    /// <summary>When set, removal waits for it (a hung engine), holding the claim.</summary>
    public Task? Hang { get; set; }

    /// <inheritdoc />
    public async Task RemoveAsync(TaskKey key, TaskClaim? claim, CancellationToken cancellationToken)
    {
        using (claim)
        {
            log.Add("remove " + key.Key);
            if (Hang is { } hang)
            {
                await hang.WaitAsync(cancellationToken);
            }
        }
    }
}
