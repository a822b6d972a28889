namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// One private RabbitMQ node shared by the tests of a collection. Tests that stop the broker
/// should restart it before they finish (or use a node of their own via
/// <see cref="RabbitMqNode.StartAsync"/>), since the next test in the collection expects it up.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private RabbitMqNode? _node;

    /// <summary>The running node. Only valid after xunit has initialised the fixture.</summary>
    /// <exception cref="InvalidOperationException">Read before initialisation.</exception>
    public RabbitMqNode Node => _node
        ?? throw new InvalidOperationException("The RabbitMQ fixture has not been initialised.");

    /// <summary>Starts the node; a missing installation or failed start fails the collection.</summary>
    /// <returns>A task that completes when the node accepts connections.</returns>
    public async Task InitializeAsync() => _node = await RabbitMqNode.StartAsync();

    /// <summary>Stops the node and deletes its data.</summary>
    /// <returns>A task that completes when the node is gone.</returns>
    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}

/// <summary>
/// The test collection whose tests share one <see cref="RabbitMqFixture"/>. Tests in it run one
/// after another, so a test that stops the broker does not pull it from under another test.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>
{
    /// <summary>The collection name, for <c>[Collection(RabbitMqCollection.Name)]</c>.</summary>
    public const string Name = "rabbitmq";
}
