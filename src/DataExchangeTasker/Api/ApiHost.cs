using System.Net;
using DataExchangeTasker.Api.Http;
using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.Api.Schedules;
using DataExchangeTasker.Api.Status;
using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Serilog;

namespace DataExchangeTasker.Api;

/// <summary>
/// Composition root and lifecycle owner of <c>tasker api</c>: store (migrated), broker connection and topology, the
/// done and progress consumers, the due-task publisher, the schedule runner and the HTTP server. Started by
/// <see cref="StartAsync"/>, stopped in reverse order by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private WebApplication? _app;

    private ApiHost(ApiOptions options, ILogger log)
    {
        Options = options;
        Log = log;
    }

    public ApiOptions Options { get; }

    public ILogger Log { get; }

    /// <summary>Where the server listens (the real port when the bind asked for port 0).</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The services the endpoints use (tests read the store through it).</summary>
    public ApiServices Services { get; private set; } = null!;

    /// <summary>Starts everything; throws (after cleaning up) when the store or the broker cannot be reached in time.</summary>
    public static async Task<ApiHost> StartAsync(ApiOptions options, ILogger log, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var host = new ApiHost(options, log);
        try
        {
            await host.StartCoreAsync(time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var store = SqlTaskStore.Open(Options.Database);
        _owned.Add(store);
        var applied = await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        Log.Information("Task store {Kind:l} ready ({Applied} migrations applied now)", store.Kind, applied);
        var secret = await store.GetOrCreateSecretAsync(cancellationToken).ConfigureAwait(false);

        var connector = new AmqpConnector(Options.Messaging, "tasker-api " + Options.InstanceId, Log, time);
        _owned.Add(connector);
        var connection = await connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var topology = new ApiTopology(Options.Messaging, Log);
        await topology.DeclareAsync(connection, cancellationToken).ConfigureAwait(false);
        var publisher = new ConfirmedPublisher(connector, Log, time: time);
        _owned.Add(publisher);

        var metrics = new ApiMetrics();
        var health = new ApiHealth(connector);
        var starts = new StartPublisher(publisher, Options.Messaging);
        var dueTasks = new DueTaskPublisher(store, starts, metrics, health, Options.InstanceId, Log, time);
        Services = new ApiServices(Options, store, starts, new CancelPublisher(publisher), dueTasks, new ViewTokens(secret), metrics, health, Log, time);

        var done = new CopyQueueConsumer(connector, topology.DoneCopyQueue, 64, (body, ct) => IngestDoneAsync(body, ct), Log);
        var progress = new CopyQueueConsumer(connector, ApiTopology.ProgressCopyQueue, 64, (body, ct) => IngestProgressAsync(body, ct), Log);
        _owned.Add(done);
        _owned.Add(progress);
        await done.StartAsync(cancellationToken).ConfigureAwait(false);
        await progress.StartAsync(cancellationToken).ConfigureAwait(false);
        health.DoneConsumerUp = () => done.IsSubscribed;
        health.ProgressConsumerUp = () => progress.IsSubscribed;

        _loops.Add(Task.Run(() => dueTasks.RunAsync(_stopping.Token), CancellationToken.None));
        _loops.Add(Task.Run(() => new ScheduleRunner(store, dueTasks, metrics, health, Options.InstanceId, Log, time).RunAsync(_stopping.Token), CancellationToken.None));

        _app = ApiServer.Build(Services);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _app.Services.GetService(typeof(IServer)) is IServer server && server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } a
            ? new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal))
            : new Uri($"http://{Options.Bind}/");
        BaseAddress = address;
        Log.Information("tasker api {Version:l} listening on {Address:l}, store {Kind:l}, broker {Broker:l}, done copy {Queue:l}",
            ThisAssembly.Version, address, store.Kind, AmqpConnector.Redact(Options.Messaging.AmqpUri), topology.DoneCopyQueue);
    }

    private async Task IngestDoneAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var s = Services;
        var record = DoneBodyReader.Read(body, s.NowMs, out var problem, out var running);
        if (running is not null)
        {
            await IngestRunningAsync(running, "Running", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (record is null)
        {
            s.Metrics.DoneUnusable();
            Log.Warning("Dropped a message of the done copy queue: {Problem}", problem);
            return;
        }

        if (await s.Store.RecordDoneAsync(record, cancellationToken).ConfigureAwait(false))
        {
            s.Metrics.DoneStored();
        }
        else
        {
            s.Metrics.DoneDuplicate();
        }
    }

    private async Task IngestProgressAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (ProgressReader.Read(body) is { } progress)
        {
            await IngestRunningAsync(progress.TaskId, progress.Step, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task IngestRunningAsync(string taskId, string step, CancellationToken cancellationToken)
    {
        if (await Services.Store.MarkRunningAsync(taskId, step, Services.NowMs, cancellationToken).ConfigureAwait(false))
        {
            Services.Metrics.Progress();
        }
    }

    /// <summary>Stops accepting requests, then the loops and consumers, then closes the broker connection and the store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Services is not null)
        {
            Services.Health.Draining = true;
        }

        if (_app is not null)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _app.StopAsync(grace.Token).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }
}
