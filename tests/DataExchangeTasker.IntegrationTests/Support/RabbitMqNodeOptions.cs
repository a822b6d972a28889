namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Settings for a private <see cref="RabbitMqNode"/>. The defaults suit the test suite; tests
/// change only what their scenario is about (for example a short consumer timeout).
/// </summary>
public sealed class RabbitMqNodeOptions
{
    /// <summary>
    /// How long start-up (and each restart) may take before it fails. A node takes 7 to 14 s on
    /// a 2-core machine, more while other nodes start, so the default leaves room for a busy CI host.
    /// </summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a graceful stop may take before the process tree is killed.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The broker's <c>consumer_timeout</c>: how long a delivery may stay unacknowledged before the
    /// broker closes the channel. Defaults to one hour, as in the broker's own configuration.
    /// </summary>
    public TimeSpan ConsumerTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Extra <c>rabbitmq.conf</c> lines (<c>key = value</c>) appended after the generated ones.
    /// </summary>
    public IReadOnlyList<string> ExtraConfigLines { get; init; } = [];

    /// <summary>Prefix of the generated node name; a random suffix keeps parallel nodes apart.</summary>
    public string NodeNamePrefix { get; init; } = "dxt-test";

    /// <summary>Path of the <c>rabbitmq-server</c> start script.</summary>
    public string ServerPath { get; init; } = Requirements.DefaultRabbitMqServerPath;

    /// <summary>Path of <c>rabbitmqctl</c>.</summary>
    public string CtlPath { get; init; } = Requirements.DefaultRabbitMqCtlPath;
}
