using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Api.Store;

/// <summary>
/// The api's durable state: clients, tasks with their done messages, schedules and request counts. One
/// implementation (<see cref="SqlTaskStore"/>) over SQLite or PostgreSQL; several api processes may share it.
/// Every method throws <see cref="StoreUnavailableException"/> when the database fails.
/// </summary>
internal interface ITaskStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>Applies the migrations not applied yet (versioned, in order, once across processes).</summary>
    Task<int> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>True when a trivial query succeeds.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>Stores a client; false when the id is taken.</summary>
    Task<bool> CreateClientAsync(ClientRow client, CancellationToken cancellationToken);

    /// <summary>Changes a client's tier and/or enabled flag; null when there is no such client.</summary>
    Task<ClientRow?> UpdateClientAsync(string clientId, string? tier, bool? enabled, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClientRow>> ListClientsAsync(CancellationToken cancellationToken);

    Task<ClientRow?> FindClientByKeyHashAsync(string keyHash, CancellationToken cancellationToken);

    Task<ClientRow?> GetClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Counts one request of the client in the minute starting at <paramref name="windowStart"/>; returns the count so far.</summary>
    Task<long> CountRequestAsync(string clientId, long windowStart, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: counts the request (<paramref name="rate"/>, when given; over the limit nothing else
    /// happens), then stores a new task unless its taskId or its client's id for it exists, or the client already has
    /// <paramref name="concurrentLimit"/> unfinished tasks (checked and taken atomically, also across processes).
    /// </summary>
    Task<SubmitOutcome> SubmitAsync(TaskRow task, int? concurrentLimit, RateCheck? rate, CancellationToken cancellationToken);

    /// <summary>A task by its start message's taskId.</summary>
    Task<TaskRow?> GetTaskAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>A client's task by the id the client knows it by; without the done body unless <paramref name="withDone"/>.</summary>
    Task<TaskRow?> GetClientTaskAsync(string clientId, string clientTaskId, bool withDone, CancellationToken cancellationToken);

    Task<IReadOnlyList<TaskRow>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>Tasks per state, of one client or (null) of all.</summary>
    Task<IReadOnlyList<StateCount>> CountStatesAsync(string? clientId, CancellationToken cancellationToken);

    /// <summary>Records that the broker confirmed these tasks' start messages (a delayed task becomes queued).</summary>
    Task MarkPublishedAsync(IReadOnlyList<string> taskIds, long now, CancellationToken cancellationToken);

    /// <summary>Leases up to <paramref name="limit"/> due, unpublished tasks whose lease expired, for this process to publish.</summary>
    Task<IReadOnlyList<TaskRow>> ClaimDueTasksAsync(long now, long leaseUntil, string owner, int limit, CancellationToken cancellationToken);

    /// <summary>Stores a done message of one of this store's tasks; an unknown taskId stores nothing.</summary>
    Task<DoneOutcome> RecordDoneAsync(DoneRecord done, CancellationToken cancellationToken);

    /// <summary>Marks a queued task running (a worker reported a step); false when it is not queued or running.</summary>
    Task<bool> MarkRunningAsync(string taskId, string stepName, long at, CancellationToken cancellationToken);

    /// <summary>Ends a task that was never published as error/cancelled; false when it was published or finished.</summary>
    Task<bool> CancelUnpublishedAsync(string taskId, long now, CancellationToken cancellationToken);

    /// <summary>
    /// Ends as error/<see cref="SkipReasons.NoAnswer"/> the published tasks without a done message whose time limit
    /// (theirs, else <paramref name="defaultLimitMs"/>) and <paramref name="graceMs"/> passed; returns them.
    /// </summary>
    Task<IReadOnlyList<TaskRow>> MarkUnansweredAsync(long now, long graceMs, long defaultLimitMs, CancellationToken cancellationToken);

    /// <summary>Stores a schedule; false when its client already has <paramref name="maxPerClient"/> schedules.</summary>
    Task<bool> CreateScheduleAsync(ScheduleRow schedule, int maxPerClient, CancellationToken cancellationToken);

    /// <summary>A schedule, also a deleted one (its runs stay readable).</summary>
    Task<ScheduleRow?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken);

    /// <summary>Schedules of one client or (null) of all, newest first.</summary>
    Task<IReadOnlyList<ScheduleRow>> ListSchedulesAsync(string? clientId, bool withDeleted, CancellationToken cancellationToken);

    /// <summary>Stops a schedule; false when there is none.</summary>
    Task<bool> DeleteScheduleAsync(string scheduleId, CancellationToken cancellationToken);

    /// <summary>Leases the schedules whose next firing is due and whose lease expired (one process wins each).</summary>
    Task<IReadOnlyList<ScheduleRow>> ClaimDueSchedulesAsync(long now, long leaseUntil, string owner, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: moves the schedule to <paramref name="nextFireAt"/> (releasing the lease) and stores the
    /// period's run, counted against its client's tier (<paramref name="tierOf"/>) like a request and a task, or, over
    /// a limit, as a skipped run. Does nothing when <paramref name="owner"/> lost the lease.
    /// </summary>
    Task<FireOutcome> FireScheduleAsync(ScheduleRow schedule, TaskRow firing, long nextFireAt, string owner, Func<string, TierLimits> tierOf, CancellationToken cancellationToken);

    /// <summary>The newest finished (not skipped) run of a schedule.</summary>
    Task<TaskRow?> LatestScheduleRunAsync(string scheduleId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClientTaskCount>> CountTasksAsync(CancellationToken cancellationToken);

    /// <summary>A random secret shared by every api process on this store (signs status page links).</summary>
    Task<string> GetOrCreateSecretAsync(CancellationToken cancellationToken);

    /// <summary>This store's identity (random, made once): names its copy of the done messages.</summary>
    Task<string> GetOrCreateStoreIdAsync(CancellationToken cancellationToken);

    /// <summary>Removes request counts of past minutes.</summary>
    Task PruneAsync(long now, CancellationToken cancellationToken);
}
