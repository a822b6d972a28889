using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Run;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>Removes a finished task's container through the sandbox runner; failures are logged.</summary>
internal sealed class TaskContainerRemover(SandboxRunner runner, ILogger log) : ITaskContainerRemover
{
    /// <inheritdoc />
    public async Task RemoveAsync(TaskKey key, TaskClaim? claim, CancellationToken cancellationToken)
    {
        using (claim)
        {
            try
            {
                await runner.CleanupAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DockerApiException or IOException or UnauthorizedAccessException)
            {
                // The answer is out and acked; a leftover is removed by the leftover sweep or `tasker cleanup`.
                log.Warning("Could not remove container {Key:l} after publishing: {Error}", key.Key, e.Message);
            }
        }
    }
}
