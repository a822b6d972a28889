using System.Threading.Channels;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Control;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Governance.Approvals;
using DataExchangeTasker.Governance.Audit;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Health;
using DataExchangeTasker.Images;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Resilience;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Sandbox.Sweep;
using DataExchangeTasker.Witness;
using Serilog;

namespace DataExchangeTasker.Hosting;

/// <summary>
/// The composition root of <c>tasker run</c>: builds every part from the options (constructor injection, no
/// container), runs the pipeline until stopped, and disposes in reverse order of creation. Fixed waits come from
/// <paramref name="timings"/> (default <see cref="TaskerTimings.Production"/>).
/// </summary>
public sealed class TaskerHost(TaskerOptions options, ILogger log, TaskerTimings? timings = null)
{
    private readonly TaskerTimings _timings = timings ?? TaskerTimings.Production;

    /// <summary>Health of the running host, for the HTTP endpoints and tests.</summary>
    public HealthState Health { get; } = new((timings ?? TaskerTimings.Production).Time);

    /// <summary>The host's instruments.</summary>
    public TaskMetrics Metrics { get; } = new();

    /// <summary>The witness of the running host (null before it started and after it stopped), for tests.</summary>
    public ITaskWitness? Witness { get; private set; }

    /// <summary>Runs until <paramref name="stopping"/>; <paramref name="abort"/> skips the drain.</summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken abort)
    {
        // The tasker's private state (answered records, its lease): owner-only from its creation, no umask window.
        PrepareFolders(options.Sandbox, options.Dependencies);
        using var lease = TaskerLease.Acquire(options.Sandbox.WorkRoot, options.TaskerId);
        using var tracing = TracingExport.Start(options);
        // Governance settings are checked before anything connects: a bad key or a log held by another tasker is fatal.
        var governance = options.Governance;
        var approvals = governance.ApprovalsFile is null ? null : new ApprovalList(governance.ApprovalsFile);
        using var signer = governance.SigningKeyFile is null ? null : ReceiptSigner.Load(governance.SigningKeyFile);
        using var audit = governance.AuditLogFile is null ? null : AuditLog.Open(governance.AuditLogFile, signer, log, _timings.Time);
        var receipts = signer is null ? null : new RunReceiptStamper(signer, options.TaskerId, governance.HashDataContent);
        await using var docker = new DockerEngine(options.DockerHost, _timings.EngineCallDeadline, _timings.EnginePingDeadline);
        // Pinned once, before the broker: an unusable TASKER_IMAGES entry stops the start (ImagePinningException).
        var images = await PinImagesAsync(docker, stopping).ConfigureAwait(false);
        // The witness is decided before the broker: TASKER_WITNESS=fanotify on a host that cannot have one stops here (exit 3).
        await using var witness = WitnessStartup.Create(options.Witness, options.Sandbox, docker, log);
        Witness = witness;
        if (witness is OffWitness off && options.Witness != WitnessMode.Off)
        {
            log.Warning("The witness is off: {Why:l}. Runs are recorded by their trace alone ({Setting:l}=off silences this)", off.Why, Settings.Witness.Name);
        }
        else
        {
            log.Information("Witness: {Witness:l}", witness.Description);
        }

        // Index mode installs over a network: one that routes outside is a configuration error, before any task.
        log.Information("Packages for requirements.txt: {Source:l}", await PipNetworkCheck.CheckAsync(docker, options.Dependencies, stopping).ConfigureAwait(false));
        await using var http = options.HttpBind is null ? null : await HttpEndpoint.StartAsync(options.HttpBind, Health, Metrics, log, stopping).ConfigureAwait(false);
        await using var connector = new AmqpConnector(options.Messaging, $"dataexchange-tasker@{options.TaskerId}", log, timings: _timings.Broker);
        try
        {
            await connector.ConnectAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Health.Report(HealthState.Broker, true, "connected");
        // A broker under load may answer a declaration past the client's RPC timeout: retried, bounded, like connecting.
        var topology = new Topology(options.Messaging, log);
        await connector.DeclareAsync("the task queues and exchanges", topology.DeclareAsync, stopping).ConfigureAwait(false);

        var intake = Channel.CreateBounded<InboundDelivery>(new BoundedChannelOptions(options.Concurrency) { FullMode = BoundedChannelFullMode.Wait });
        await using var intakeController = new IntakeController(connector, options.Messaging, (ushort)options.Concurrency, intake.Writer, Health, log, _timings.SubscribeRetry)
        {
            Interval = _timings.IntakeInterval,
            Time = _timings.Time,
        };
        // One answering channel per task slot (settlement lanes): an answer waits for its own confirm only.
        await using var answering = new ConfirmedPublisherSet(connector, log, options.Concurrency);
        // Copies to reply_to queues on a channel of their own: a refused copy never touches the answers' channel.
        await using var replyPublisher = new ConfirmedPublisher(connector, log, bounded: _timings.ReplyRetry);
        var replies = new ReplyCopier(replyPublisher, Metrics, log);
        var copying = replies.RunAsync(abort);
        var starts = new ContainerStarts();
        var runner = new SandboxRunner(docker, options.Sandbox, new ContainerSpecFactory(options.Sandbox, options.TaskerId), options.TaskerId, log, Metrics, witness) { Time = _timings.Time, Starts = starts };
        var active = new ClaimedContainers();
        var ledger = new AnswerLedger(options.Sandbox.WorkRoot, _timings.Time);
        var cancellations = new TaskCancellations(new CancelMemory(options.Sandbox.WorkRoot, options.Control.CancelMemory, _timings.Time));
        await using var control = new ControlListener(cancellations, options.TaskerId, options.Control.CancelMemory, options.Messaging.QueueType == "quorum", log);
        try
        {
            await connector.DeclareAsync("the control queue", control.StartAsync, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.OperationInterruptedException or BrokerDeclarationException)
        {
            // Cancels are an extra: the tasker still runs every task without them (cancels already remembered still apply).
            log.Error("Cancels are not taken: the control queue could not be set up ({Error}); tasks still run", e.Message);
        }
        await using var progressPublisher = new ConfirmedPublisher(connector, log);
        var progress = new ProgressPublisher(progressPublisher, options.Messaging, options.Control, log) { Time = _timings.Time };
        await connector.DeclareAsync("the progress exchange", progress.DeclareAsync, stopping).ConfigureAwait(false);
        var reporting = progress.RunAsync(abort);
        using var dependencies = new DependencyPreparer(docker, options.Sandbox, options.Dependencies, options.TaskerId, active, log, Metrics, _timings.Time);
        var defaultImage = new DefaultImageProtocol(options.Sandbox.Image);
        var processor = new TaskProcessor(new TaskPreparer(options.Sandbox, approvals, images: images, defaultImage: defaultImage), runner, active, ledger, RetryPipelines.EngineCalls(options.MaxRetries), log, time: _timings.Time,
            legacyETag: options.Sandbox.LegacyETag, cancellations: cancellations, progress: progress.Enabled ? progress : null, receipts: receipts, dependencies: dependencies);
        var watch = new EngineWatch(docker, options.Sandbox.Image, Health, Metrics, log, new ResultsRootProbe(options.Sandbox.ResultsRoot), defaultImage) { Interval = _timings.EngineWatchInterval, Time = _timings.Time };
        watch.AvailabilityChanged += intakeController.Wake;
        var removal = new BackgroundContainerRemover(new TaskContainerRemover(runner, log), log)
        {
            YieldTo = starts,
            Settle = _timings.RemovalSettle,
            YieldLimit = _timings.RemovalYieldLimit,
            Time = _timings.Time,
        };
        var removing = removal.RunAsync(abort);
        var outageHold = new EngineOutageHold(watch, intakeController, log) { Deadline = _timings.EngineOutagePauseDeadline, Time = _timings.Time };
        var settlement = new SettlementLanes([.. answering.Publishers.Select(confirmed => new OutcomeSettler(
            new DonePublisher(confirmed, replies, options.Messaging, Metrics, log, options.Control.DoneV02) { Time = _timings.Time }, new DeadLetterPublisher(confirmed, options.Messaging),
            removal, ledger, outageHold, Metrics, log, audit))], log);
        var sweeper = new LeftoverSweeper(docker, options.Sandbox.SnapshotRoot, options.TaskerId, options.CleanupGrace, active, log)
        {
            Interval = _timings.SweepInterval,
            Time = _timings.Time,
            DependencyRoot = options.Dependencies.Root,
        };
        var sweeping = sweeper.RunAsync(stopping);
        var idleTrim = new IdleMemoryTrim(log) { Quiet = _timings.IdleTrimQuiet, Time = _timings.Time };
        var trimming = idleTrim.RunAsync(stopping);
        var worker = new TaskerWorker(intake, intakeController, watch, processor, settlement, Health, Metrics, options.Concurrency, options.DrainTimeout, log, idleTrim) { Time = _timings.Time };
        await worker.RunAsync(stopping, abort).ConfigureAwait(false);
        // Every outcome is settled: finish the removals and reply copies already queued (a second signal cuts them short).
        removal.Complete();
        replies.Complete();
        progress.Complete();
        await Task.WhenAll(removing, copying, sweeping, reporting, trimming).ConfigureAwait(false);
        if (options.Sandbox.KeepAlive)
        {
            await RemoveKeptAsync(sweeper, abort).ConfigureAwait(false);
        }

        Witness = null;
    }

    /// <summary>
    /// The state folder is private (0700); results, snapshots and installed requirements are readable by the tasker's
    /// group (0750). Only folders this creates get these modes: an operator's choice (e.g. a results root 2750 with a
    /// reader group) stays. A folder the tasker's user cannot create is a <see cref="ConfigurationException"/> naming its setting.
    /// </summary>
    public static void PrepareFolders(SandboxOptions sandbox, DependencyOptions dependencies)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(dependencies);
        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode Group = UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        Create(Settings.WorkRoot, sandbox.WorkRoot, Owner);
        File.SetUnixFileMode(sandbox.WorkRoot, Owner);
        Create(Settings.ResultsRoot, sandbox.ResultsRoot, Owner | Group);
        Create(Settings.SnapshotRoot, sandbox.SnapshotRoot, Owner | Group);
        Create(Settings.DepsRoot, dependencies.Root, Owner | Group);
    }

    private static void Create(SettingDefinition setting, string path, UnixFileMode mode)
    {
        try
        {
            Directory.CreateDirectory(path, mode);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ConfigurationException([$"{setting.Name}=\"{path}\" is invalid: expected a folder the tasker's user can create and write ({e.Message})"]);
        }
    }

    private async Task<ApprovedImages> PinImagesAsync(DockerEngine docker, CancellationToken cancellationToken)
    {
        if (options.Sandbox.Images.Count == 0)
        {
            return ApprovedImages.None;
        }

        var images = await ImagePinner.PinAsync(options.Sandbox.Images, docker, cancellationToken).ConfigureAwait(false);
        foreach (var image in images.All)
        {
            log.Information("Approved runner image {Name:l}: {Reference:l} pinned to {Id:l} (entry {Entry:l}, interpreter {Interpreter:l})",
                image.Name, image.Reference, image.Id, image.Entry, image.Interpreter);
            if (image.SupervisorMismatch is { } mismatch)
            {
                log.Error("Approved runner image {Name:l} runs no task: {Mismatch:l}", image.Name, mismatch);
            }
        }

        return images;
    }

    private async Task RemoveKeptAsync(LeftoverSweeper sweeper, CancellationToken abort)
    {
        try
        {
            await sweeper.RemoveKeptAsync(abort).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            log.Warning("Kept-alive containers not removed at shutdown ({Error}); run tasker cleanup", e.Message);
        }
    }
}
