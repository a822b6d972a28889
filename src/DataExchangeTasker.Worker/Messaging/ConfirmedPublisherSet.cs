using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Several <see cref="ConfirmedPublisher"/>s, each with a broker channel of its own, created and disposed together:
/// one per settling lane, so that an answer waits for its own confirm only and a channel the broker closes (a refused
/// message) fails no other lane's publish.
/// </summary>
internal sealed class ConfirmedPublisherSet : IAsyncDisposable
{
    private readonly ConfirmedPublisher[] _publishers;

    /// <summary>Creates <paramref name="count"/> publishers (at least one); channels open on first use.</summary>
    public ConfirmedPublisherSet(AmqpConnector connector, ILogger log, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _publishers = [.. Enumerable.Range(0, count).Select(_ => new ConfirmedPublisher(connector, log))];
    }

    /// <summary>The publishers, one per lane.</summary>
    public IReadOnlyList<ConfirmedPublisher> Publishers => _publishers;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var publisher in _publishers)
        {
            await publisher.DisposeAsync().ConfigureAwait(false);
        }
    }
}
