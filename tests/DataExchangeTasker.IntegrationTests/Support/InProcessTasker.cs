using System.Text;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Spec;
using Docker.DotNet.Models;
using RabbitMQ.Client;
using Serilog;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A real <see cref="TaskerHost"/> running in the test process against the fixture's broker and the real engine,
/// with its own queues, tasker id and work root so tests cannot see each other's messages or containers.
/// </summary>
public sealed class InProcessTasker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskerHost _host;
    private readonly global::DataExchangeTasker.Health.PrometheusExporter _metrics;
    private readonly Task _running;
    private IConnection? _client;
    private IChannel? _channel;

    private InProcessTasker(TaskerOptions options, TaskerHost host, bool run)
    {
        Options = options;
        _host = host;
        // Listening from before the host runs, so no measurement is missed.
        _metrics = new global::DataExchangeTasker.Health.PrometheusExporter(host.Metrics.Meter);
        _running = run ? Task.Run(() => _host.RunAsync(_stopping.Token, _abort.Token)) : Task.CompletedTask;
    }

    /// <summary>The tasker's options.</summary>
    public TaskerOptions Options { get; }

    /// <summary>The running host's health.</summary>
    public global::DataExchangeTasker.Health.HealthState Health => _host.Health;

    /// <summary>The running host's witness (null before it started).</summary>
    public global::DataExchangeTasker.Witness.ITaskWitness? Witness => _host.Witness;

    /// <summary>The host's metrics in the Prometheus text format, as <c>/metrics</c> shows them.</summary>
    public string MetricsText() => _metrics.Render();

    /// <summary>
    /// Starts a tasker with fixture defaults overridden by <paramref name="settings"/>, and waits until it consumes.
    /// <paramref name="timings"/>: shorter fixed waits (<see cref="TestTimings"/>) for a test that would otherwise sit
    /// out a production one; default <see cref="TaskerTimings.Production"/>.
    /// </summary>
    public static async Task<InProcessTasker> StartAsync(TaskerFixture fixture, IReadOnlyDictionary<string, string?>? settings = null, TaskerTimings? timings = null)
    {
        var tasker = Create(fixture, settings, run: true, timings);
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(30), "the tasker to become ready");
        return tasker;
    }

    /// <summary>
    /// Only the publishing and collecting side, on the queues <paramref name="settings"/> name, for tests where
    /// the tasker under test is a separate process.
    /// </summary>
    public static InProcessTasker Client(TaskerFixture fixture, IReadOnlyDictionary<string, string?> settings) => Create(fixture, settings, run: false, timings: null);

    private static InProcessTasker Create(TaskerFixture fixture, IReadOnlyDictionary<string, string?>? settings, bool run, TaskerTimings? timings)
    {
        var id = "it-" + Guid.NewGuid().ToString("N")[..10];
        var values = new Dictionary<string, string?>
        {
            [Settings.AmqpUri.Name] = fixture.Broker.AmqpUri.ToString(),
            [Settings.CodeRoot.Name] = fixture.CodeRoot,
            [Settings.DataRoot.Name] = fixture.DataRoot,
            [Settings.WorkRoot.Name] = Path.Combine(fixture.Root, "work-" + id),
            [Settings.ResultsRoot.Name] = Path.Combine(fixture.Root, "results-" + id),
            [Settings.SnapshotRoot.Name] = Path.Combine(fixture.Root, "snapshots"),
            // Per tasker: a test that counts installs must not find another test's installed requirements.
            [Settings.DepsRoot.Name] = Path.Combine(fixture.Root, "deps-" + id),
            [Settings.TodoQueue.Name] = id + ".todo",
            [Settings.DoneQueue.Name] = id + ".done",
            [Settings.TaskerId.Name] = id,
            [Settings.HttpBind.Name] = "off",
            [Settings.Image.Name] = EngineRequirement.RunnerImage,
            [Settings.LogLevel.Name] = "warning",
        };
        if (EngineRequirement.Runtime is { } runtime)
        {
            values[Settings.Runtime.Name] = runtime;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var options = TaskerOptionsLoader.Load(values);
        var log = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose, formatProvider: System.Globalization.CultureInfo.InvariantCulture).CreateLogger();
        return new InProcessTasker(options, new TaskerHost(options, log, timings), run);
    }

    /// <summary>Publishes a start message the way existing publishers do: default exchange, routing key = todo queue.</summary>
    public Task PublishAsync(StartMessage message, BasicProperties? properties = null) =>
        PublishRawAsync(JsonSerializer.SerializeToUtf8Bytes(message, ProtocolJsonContext.Default.StartMessage), properties);

    /// <summary>Publishes any bytes as a start message.</summary>
    public async Task PublishRawAsync(byte[] body, BasicProperties? properties = null)
    {
        var channel = await ChannelAsync();
        await TestQueues.PublishAsync(channel, Options.Messaging.TodoQueue, body, properties);
    }

    /// <summary>Collects <paramref name="count"/> done messages (raw, with their AMQP properties).</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> CollectDoneAsync(int count, TimeSpan timeout) =>
        await TestQueues.CollectAsync(await ChannelAsync(), Options.Messaging.DoneQueue, count, timeout);

    /// <summary>Collects <paramref name="count"/> done messages, parsed.</summary>
    public async Task<IReadOnlyList<DoneMessage>> CollectResultsAsync(int count, TimeSpan timeout) =>
        (await CollectDoneAsync(count, timeout)).Select(Parse).ToList();

    /// <summary>Publishes one start message and returns its done message.</summary>
    public async Task<DoneMessage> RunAsync(StartMessage message, TimeSpan? timeout = null)
    {
        await PublishAsync(message);
        var done = (await CollectResultsAsync(1, timeout ?? TimeSpan.FromSeconds(90)))[0];
        Assert.Equal(message.TaskId, done.TaskId);
        return done;
    }

    /// <summary>Containers of this tasker (any state).</summary>
    public Task<IReadOnlyList<ContainerListResponse>> ContainersAsync(TaskerFixture fixture) =>
        fixture.Docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerLabels.Owner] = Options.TaskerId }, CancellationToken.None);

    /// <summary>What this tasker left in its work and results roots beyond its kept state (see <see cref="HostLeftovers"/>).</summary>
    public IReadOnlyList<string> Leftovers() => HostLeftovers.Find(Options.Sandbox.WorkRoot, Options.Sandbox.ResultsRoot);

    /// <summary>Collects done messages until every one of <paramref name="taskIds"/> was answered; returns all received (duplicates included).</summary>
    public async Task<IReadOnlyList<DoneMessage>> CollectUntilAnsweredAsync(IReadOnlyCollection<string> taskIds, TimeSpan timeout)
    {
        var received = new List<DoneMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (!taskIds.All(id => received.Any(d => d.TaskId == id)))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Only {string.Join(", ", received.Select(d => d.TaskId).Distinct())} of {string.Join(", ", taskIds)} answered.");
            }

            received.AddRange(await CollectResultsAsync(1, left));
        }

        return received;
    }

    /// <summary>Parses a done message body.</summary>
    public static DoneMessage Parse(ReceivedMessage message) =>
        JsonSerializer.Deserialize(message.Body, ProtocolJsonContext.Default.DoneMessage)
        ?? throw new InvalidOperationException("empty done message: " + Encoding.UTF8.GetString(message.Body));

    /// <summary>Polls <paramref name="condition"/> until true or the deadline, then fails naming <paramref name="what"/>.</summary>
    public Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, what);

    /// <summary>Polls an asynchronous <paramref name="condition"/> (e.g. an engine query) until true or the deadline.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (_running.IsCompleted)
            {
                await _running; // surfaces the host's exception
                throw new InvalidOperationException("The tasker stopped while waiting for " + what);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops the tasker gracefully (drain) and waits for it.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(120));
    }

    private async Task<IChannel> ChannelAsync()
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }

        if (_client is not { IsOpen: true })
        {
            // After a broker restart the old connection is gone; a test client simply opens a new one.
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            _client = await new ConnectionFactory { Uri = Options.Messaging.AmqpUri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync();
        }

        _channel = await _client.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        // The tasker declares its queues at start-up; declaring here too lets a test publish before it is ready.
        foreach (var queue in new[] { Options.Messaging.TodoQueue, Options.Messaging.DoneQueue })
        {
            await _channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        }

        return _channel;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_running.IsCompleted)
        {
            await _stopping.CancelAsync();
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                await _abort.CancelAsync();
            }
        }

        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        _metrics.Dispose();
        _stopping.Dispose();
        _abort.Dispose();
    }
}
