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
/// Composition root and lifecycle owner of <c>tasker api</c>: store (migrated), the HTTP server (up at once), and in
/// the background the broker link (connection, topology, done and progress consumers), the outbox publisher, the
/// schedule runner and the sweep of unanswered tasks. Started by <see cref="StartAsync"/>, stopped in reverse order by
/// <see cref="DisposeAsync"/>. Only the store must answer at start; the broker may come later.
/// </summary>
internal sealed class ApiHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private WebApplication? _app;
    private long _unknownLogged;

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

    /// <summary>Starts everything; throws (after cleaning up) when the store cannot be reached in time.</summary>
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
        var secret = await store.GetOrCreateSecretAsync(cancellationToken).ConfigureAwait(false);
        var storeId = await store.GetOrCreateStoreIdAsync(cancellationToken).ConfigureAwait(false);
        Log.Information("Task store {Kind:l} {StoreId:l} ready ({Applied} migrations applied now)", store.Kind, storeId, applied);

        var topology = new ApiTopology(Options.Messaging, storeId, Log);
        var broker = new BrokerLink(Options.Messaging, Options.InstanceId, topology, IngestDoneAsync, IngestProgressAsync, Log, time);
        _owned.Add(broker);
        var metrics = new ApiMetrics();
        var health = new ApiHealth(broker);
        var starts = new StartPublisher(broker.Publisher, Options.Messaging);
        var dueTasks = new DueTaskPublisher(store, starts, () => broker.IsReady, metrics, health, Options.InstanceId, Log, time);
        Services = new ApiServices(Options, store, storeId, topology.DoneCopyQueue, broker, new CancelPublisher(broker.Publisher), dueTasks,
            new ViewTokens(secret), new Quotas.ClientKeyCache(time), metrics, health, Log, time);

        _app = ApiServer.Build(Services);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _app.Services.GetService(typeof(IServer)) is IServer server && server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } a
            ? new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal))
            : new Uri($"http://{Options.Bind}/");
        BaseAddress = address;

        var stopping = _stopping.Token;
        _loops.Add(Task.Run(async () =>
        {
            await broker.RunAsync(stopping).ConfigureAwait(false);
            // What was stored while the broker was away goes out now.
            dueTasks.Wake();
        }, CancellationToken.None));
        _loops.Add(Task.Run(() => dueTasks.RunAsync(stopping), CancellationToken.None));
        _loops.Add(Task.Run(() => new ScheduleRunner(store, dueTasks, tier => Access.Tier(Options, tier), Options.DefaultTaskTimeout,
            metrics, health, Options.InstanceId, Log, time).RunAsync(stopping), CancellationToken.None));
        _loops.Add(Task.Run(() => new UnansweredTasks(store, Options.AnswerGraceOrDefault, Options.DefaultTaskTimeout, metrics, health, Log, time).RunAsync(stopping),
            CancellationToken.None));
        Log.Information("tasker api {Version:l} listening on {Address:l}, store {Kind:l} {StoreId:l}, broker {Broker:l}, done copy {Queue:l}",
            ThisAssembly.Version, address, store.Kind, storeId, AmqpConnector.Describe(Options.Messaging), topology.DoneCopyQueue);
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

        switch (await s.Store.RecordDoneAsync(record, cancellationToken).ConfigureAwait(false))
        {
            case DoneOutcome.Stored:
                s.Metrics.DoneStored();
                break;
            case DoneOutcome.Duplicate:
                s.Metrics.DoneDuplicate();
                break;
            default:
                s.Metrics.DoneUnknown();
                // Every store sees the answers of every task on the broker; one line per 100 keeps the log readable.
                if (Interlocked.Increment(ref _unknownLogged) % 100 == 1)
                {
                    Log.Information("Done message for task {TaskId:l}, which this store ({StoreId:l}) does not know: not stored " +
                        "(another store's or another publisher's task; {Count} so far, tasker_api_done_unknown_total)", record.TaskId, s.StoreId, s.Metrics.DoneUnknownCount);
                }

                break;
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
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        finally
        {
            // A loop that ended with a bug must not leave the broker consumers and the store open: a consumer left
            // behind takes the next process's messages.
            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                await _owned[i].DisposeAsync().ConfigureAwait(false);
            }

            _stopping.Dispose();
        }
    }
}
