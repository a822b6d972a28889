using DataExchangeTasker.Control;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Governance;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Resilience;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Classification;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using Polly;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Decides and does what one start message needs: dead-letter it, reject it, adopt the container an earlier
/// delivery left, or run it, retrying engine failures (<see cref="RetryPipelines.EngineCalls"/>). A failed task is a
/// done message, never an exception. The claim on the task's key is taken here and travels with the outcome.
/// </summary>
internal sealed class TaskProcessor
{
    private static readonly ResiliencePropertyKey<string> TaskIdKey = new("tasker.task-id");
    private readonly TaskPreparer _preparer;
    private readonly SandboxRunner _runner;
    private readonly ClaimedContainers _active;
    private readonly AnswerLedger _ledger;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _engineRetry;
    private readonly LegacyETagHandling _legacyETag;
    private readonly RunReceiptStamper? _receipts;

    private readonly TaskCancellations? _cancellations;
    private readonly ProgressPublisher? _progress;
    private readonly DependencyPreparer? _dependencies;

    /// <summary>
    /// Creates the processor; <paramref name="engineRetry"/> is usually <see cref="RetryPipelines.EngineCalls"/>(TASKER_MAX_RETRIES);
    /// <paramref name="receipts"/> signs a receipt for every task that ran (null when the node does not sign);
    /// <paramref name="dependencies"/> installs a code folder's requirements.txt before its run (null: not installed).
    /// </summary>
    public TaskProcessor(TaskPreparer preparer, SandboxRunner runner, ClaimedContainers active, AnswerLedger ledger, RetryShape engineRetry, ILogger log, TimeProvider? time = null, LegacyETagHandling legacyETag = LegacyETagHandling.Reject, TaskCancellations? cancellations = null, ProgressPublisher? progress = null, RunReceiptStamper? receipts = null, DependencyPreparer? dependencies = null)
    {
        _dependencies = dependencies;
        _receipts = receipts;
        _cancellations = cancellations;
        _progress = progress;
        _legacyETag = legacyETag;
        _preparer = preparer;
        _runner = runner;
        _active = active;
        _ledger = ledger;
        _log = log;
        // An engine that answered with a server error is retried here; one that could not be reached is an outage (below).
        _engineRetry = RetryPipelines.Build(engineRetry, e => e is DockerApiException { IsTransient: true, EngineUnreachable: false }, args =>
        {
            _log.Warning("Task {TaskId:l}: Docker engine error (attempt {Attempt} of {Max}), retrying in {Delay}: {Error}",
                args.Context.Properties.GetValue(TaskIdKey, "?"), args.AttemptNumber + 1, engineRetry.MaxRetries + 1, args.RetryDelay, args.Outcome.Exception!.Message);
            return ValueTask.CompletedTask;
        }, time);
    }

    /// <summary>
    /// Processes one delivery into the outcome the settling stage carries out. Only cancellation before the task's
    /// key is claimed escapes; after, shutdown becomes a <see cref="RequeueOutcome"/>. A bug becomes an error answer
    /// (or, with no taskId, a dead-lettered copy) here and nowhere else: requeueing it could loop forever.
    /// </summary>
    public async Task<TaskOutcome> ProcessAsync(InboundDelivery delivery, CancellationToken cancellationToken)
    {
        StartMessage? message = null;
        try
        {
            switch (StartMessageParser.Parse(delivery.Body, _legacyETag))
            {
                case UnusableStart unusable:
                    _log.Warning("Dead-lettering a start message: {Reason:l}", unusable.Reason);
                    return new DeadLetterOutcome(delivery, unusable.Reason);
                case InvalidStart invalid:
                    return new AnswerOutcome(delivery, DoneMessage.Rejected(invalid.TaskId, invalid.Reason, invalid.Error), null);
                case ParsedStart parsed:
                    message = parsed.Message;
                    return await ProcessAsync(delivery, parsed.Message, cancellationToken).ConfigureAwait(false);
                default:
                    throw new InvalidOperationException("unreachable");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // A bug before the task's key was claimed (after, the claimed path below answers it).
            _log.Error(e, "Unexpected failure while processing a delivery");
            return message is null ? UnexpectedFailure.Outcome(delivery, e) : UnexpectedFailure.Answer(delivery, message.TaskId, e);
        }
    }

    private async Task<TaskOutcome> ProcessAsync(InboundDelivery delivery, StartMessage message, CancellationToken cancellationToken)
    {
        var key = _runner.KeyOf(message.TaskId);
        var digest = delivery.BodySha256;
        TaskClaim? claim;
        // The same task may be in flight here (a redelivery racing its original): this waits for the original.
        while ((claim = await _active.ClaimAsync(key.Key, cancellationToken).ConfigureAwait(false)) is null)
        {
            if (_ledger.HasAnswered(key.Key, digest))
            {
                _log.Information("Task {TaskId:l} was answered by an earlier delivery; acknowledging this one", message.TaskId);
                return new AlreadyAnsweredOutcome(delivery, key);
            }

            // The holder answered another start message reusing this taskId: this one is a task of its own.
        }

        try
        {
            var outcome = await ProcessClaimedAsync(delivery, message, key, digest, cancellationToken).ConfigureAwait(false);
            return outcome with { Claim = claim };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown past the drain timeout: stop the code; the message is requeued and runs afresh later.
            await TryAbandonAsync(key).ConfigureAwait(false);
            return new RequeueOutcome(delivery) { Claim = claim };
        }
        catch (Exception e)
        {
            // A bug, not an input: requeueing could loop forever, so the task ends with an error answer and nothing of it may linger.
            _log.Error(e, "Unexpected failure while processing task {TaskId:l}", message.TaskId);
            await TryAbandonAsync(key).ConfigureAwait(false);
            return UnexpectedFailure.Answer(delivery, message.TaskId, e) with { Claim = claim };
        }
    }

    private async Task<TaskOutcome> ProcessClaimedAsync(InboundDelivery delivery, StartMessage message, TaskKey key, string digest, CancellationToken cancellationToken)
    {
        // Only a redelivery of the very message answered is a repeat; a fresh message, or another body reusing the
        // taskId, is a new request and runs.
        if (delivery.Redelivered && _ledger.HasAnswered(key.Key, digest))
        {
            _log.Information("Task {TaskId:l} was answered before a restart; acknowledging the redelivery", message.TaskId);
            return new AlreadyAnsweredOutcome(delivery, key);
        }

        // Watched before the memory is checked, so a cancel arriving in between is not missed.
        using var cancel = _cancellations?.Watch(message.TaskId);
        if (_cancellations?.IsCancelled(message.TaskId) == true)
        {
            _log.Information("Task {TaskId:l} was cancelled before it started; answering without a container", message.TaskId);
            return new AnswerOutcome(delivery, CancelledAnswer.NotStarted(message.TaskId), null);
        }

        _progress?.Report(message.TaskId, ProgressStep.VerifyingAlgorithm);
        var (task, rejection) = await _preparer.PrepareAsync(message, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            // Nothing of a rejected task ever ran, so the engine need not be asked.
            // The settler logs the answer with its reason; this line only helps when debugging.
            _log.Debug("Task {TaskId:l} rejected: {Reason:l} {Output}", message.TaskId, rejection!.Reason, rejection.Message);
            return new AnswerOutcome(delivery, DoneMessage.Rejected(message.TaskId, rejection.Reason, rejection.Message), null);
        }

        if (cancel?.IsRequested == true)
        {
            return new AnswerOutcome(delivery, CancelledAnswer.NotStarted(message.TaskId), null);
        }

        var control = new RunControl(cancel?.Requested ?? RunControl.None.StopRequested, () => _progress?.Report(message.TaskId, ProgressStep.ExecutingAlgorithm));

        DataFingerprint? data = null;
        if (_receipts is not null)
        {
            try
            {
                data = await _receipts.FingerprintAsync(task, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // What the receipt would describe is not what was checked: nothing has run, so refuse like the supervisor would.
                return new AnswerOutcome(delivery, DoneMessage.Rejected(message.TaskId, Reasons.PathChanged,
                    $"The data at dataPath could not be fingerprinted for the run receipt ({e.Message}); the code did not run."), null);
            }
        }

        var attempts = 0;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(TaskIdKey, message.TaskId);
        try
        {
            return await _engineRetry.ExecuteAsync(
                async ctx =>
                {
                    attempts++;
                    var outcome = await RunOrAdoptAsync(delivery, message, task, data, key, control, lookFirst: delivery.Redelivered || attempts > 1, ctx.CancellationToken).ConfigureAwait(false);
                    _progress?.Report(message.TaskId, ProgressStep.CleaningUp);
                    // A run that succeeded before the stop took effect finished: the cancel changes nothing.
                    return cancel?.IsRequested == true && outcome is AnswerOutcome { Done.State: not TaskStates.Success } answer
                        ? answer with { Done = CancelledAnswer.Stopped(answer.Done) }
                        : outcome;
                },
                context).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.EngineUnreachable && !cancellationToken.IsCancellationRequested)
        {
            // Never the task's fault: it goes back to the queue and intake pauses until the engine answers again. What
            // this attempt left (a created or running container) is adopted or replaced by the redelivery.
            _log.Warning("Task {TaskId:l} waits for the Docker engine: {Error}", message.TaskId, e.Message);
            return new EngineOutageOutcome(delivery, e.Message);
        }
        catch (DockerApiException e) when (!cancellationToken.IsCancellationRequested)
        {
            _log.Error("Task {TaskId:l} failed because of the Docker engine after {Attempts} attempt(s): {Error}", message.TaskId, attempts, e.Message);
            await TryAbandonAsync(key, cancellationToken).ConfigureAwait(false);
            var output = $"The Docker engine failed after {attempts} attempt(s): {e.Message}";
            return new AnswerOutcome(delivery, new DoneMessage(message.TaskId, TaskStates.Error, output, null, null, Reasons.Infrastructure, 0), null);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One attempt: adopt what an earlier delivery left, or run the code; a name conflict sends it to adoption.</summary>
    private async Task<TaskOutcome> RunOrAdoptAsync(InboundDelivery delivery, StartMessage message, PreparedTask task, DataFingerprint? data, TaskKey key, RunControl control, bool lookFirst, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                // Only a redelivery (or a retry, or a name conflict) can find an earlier container: a first delivery
                // skips the engine round trip, and a conflicting create sends it back here to adopt.
                var existing = lookFirst ? await _runner.FindAsync(key, cancellationToken).ConfigureAwait(false) : null;
                if (existing is { Started: true })
                {
                    return await AdoptAsync(delivery, message, task, data, key, existing, control, cancellationToken).ConfigureAwait(false);
                }

                if (existing is not null)
                {
                    // Created but never started by an earlier attempt: the code has not run, start afresh.
                    await _runner.AbandonAsync(key, cancellationToken).ConfigureAwait(false);
                }

                _progress?.Report(message.TaskId, ProgressStep.CreatingContainer);
                // Only a fresh run needs the requirements (an adopted container has them mounted already).
                switch (_dependencies is null ? DependenciesReady.None : await _dependencies.PrepareAsync(task, cancellationToken).ConfigureAwait(false))
                {
                    case DependenciesFailed failed:
                        _log.Information("Task {TaskId:l}: requirements.txt not installed; the code does not run", message.TaskId);
                        return new AnswerOutcome(delivery, new DoneMessage(message.TaskId, TaskStates.Error, failed.Output, null, null, Reasons.DependenciesFailed, 0), null);
                    case DependenciesReady { Site: { } dependencySite }:
                        task = task with { DependencySite = dependencySite };
                        break;
                }

                var run = await _runner.RunAsync(task, key, control, cancellationToken).ConfigureAwait(false);
                return Answer(delivery, task, data, key, run);
            }
            catch (TaskAlreadyRunningException)
            {
                // Another delivery of this task created the container meanwhile; look it up and adopt it.
                lookFirst = true;
            }
        }
    }

    private async Task<TaskOutcome> AdoptAsync(InboundDelivery delivery, StartMessage message, PreparedTask task, DataFingerprint? data, TaskKey key, EarlierContainer existing, RunControl control, CancellationToken cancellationToken)
    {
        _log.Information("Task {TaskId:l} already has container {ContainerId:l} ({Status:l}) on this host; adopting it instead of running the code again",
            message.TaskId, ContainerIds.Shorten(existing.Id), existing.State);
        var limits = task.Limits;
        var run = await _runner.AdoptAsync(existing, key, limits.Timeout, control, cancellationToken).ConfigureAwait(false);
        return Answer(delivery, task, data, key, run);
    }

    /// <summary>The answer for a container that ran: classified, then receipted when the node signs.</summary>
    private AnswerOutcome Answer(InboundDelivery delivery, PreparedTask task, DataFingerprint? data, TaskKey key, ContainerRun run)
    {
        var done = ResultClassifier.Classify(task.Message.TaskId, task.Limits, run);
        if (_receipts is not null && data is not null)
        {
            done = _receipts.Stamp(done, delivery, task, run, data);
        }

        return new AnswerOutcome(delivery, done, key) { ContainerId = ContainerIds.Shorten(run.ContainerId) };
    }

    private async Task TryAbandonAsync(TaskKey key, CancellationToken? cancellationToken = null)
    {
        // Without a token the caller is already being cancelled (or failed): give the removal its own deadline.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _runner.AbandonAsync(key, cancellationToken ?? deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException || (e is OperationCanceledException && deadline.IsCancellationRequested))
        {
            // The engine is down; the leftover sweep removes what is left once it is back.
            _log.Warning("Could not remove container {Key:l}: {Error}", key.Key, e.Message);
        }
    }
}
