using System.Text.Json;

namespace DataExchangeTasker.Docker;

/// <summary>Peak memory from the engine's stats stream (cgroup v1 reports <c>max_usage</c>; v2 only usage samples).</summary>
public sealed partial class DockerClient
{
    /// <inheritdoc />
    public async Task<long?> TrackPeakMemoryAsync(string id, CancellationToken cancellationToken)
    {
        long? peak = null;
        try
        {
            using var response = await _transport.SendAsync(HttpMethod.Get, $"/containers/{id}/stats?stream=true", null,
                "GET /containers/{id}/stats", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                peak = Max(peak, ReadMemory(line));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or DockerApiException)
        {
            // The stream ends with the container or when the caller has what it needs; the peak so far stands.
        }

        return peak;
    }

    private static long? ReadMemory(string line)
    {
        try
        {
            var memory = JsonSerializer.Deserialize(line, DockerJsonContext.Default.StatsSample)?.MemoryStats;
            var value = memory?.MaxUsage ?? memory?.Usage;
            return value is > 0 ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
