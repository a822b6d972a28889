namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// One private broker shared by the tests of a collection. Tests that stop the broker should start it again before
/// they finish (or use a broker of their own via <see cref="RabbitMqBroker.StartAsync"/>), since the next test in the
/// collection expects it up.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private RabbitMqBroker? _broker;

    /// <summary>The running broker. Only valid after xunit has initialised the fixture.</summary>
    /// <exception cref="InvalidOperationException">Read before initialisation.</exception>
    public RabbitMqBroker Broker => _broker
        ?? throw new InvalidOperationException("The RabbitMQ fixture has not been initialised.");

    /// <summary>Starts the broker container; a missing image or a failed start fails the collection.</summary>
    /// <returns>A task that completes when the broker accepts connections.</returns>
    public async Task InitializeAsync() => _broker = await RabbitMqBroker.StartAsync();

    /// <summary>Removes the broker container and its data.</summary>
    /// <returns>A task that completes when the container is gone.</returns>
    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

/// <summary>
/// The test collection whose tests share one <see cref="RabbitMqFixture"/>. Tests in it run one
/// after another, so a test that stops the broker does not pull it from under another test.
/// </summary>
[CollectionDefinition(Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>
{
    /// <summary>The collection name, for <c>[Collection(RabbitMqCollection.Name)]</c>.</summary>
    public const string Name = "rabbitmq";
}
