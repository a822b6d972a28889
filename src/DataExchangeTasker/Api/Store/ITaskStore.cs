namespace DataExchangeTasker.Api.Store;

/// <summary>
/// The api's durable state: clients, tasks with their done messages, schedules and request counts. One
/// implementation (<see cref="SqlTaskStore"/>) over SQLite or PostgreSQL; several api processes may share it.
/// Every method throws <see cref="StoreUnavailableException"/> when the database fails.
/// </summary>
public interface ITaskStore : IAsyncDisposable
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

    /// <summary>Counts one request of the client in the minute starting at <paramref name="windowStart"/>; returns the count so far.</summary>
    Task<long> CountRequestAsync(string clientId, long windowStart, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new task unless its id exists, or the client already has <paramref name="concurrentLimit"/> unfinished
    /// tasks (checked and inserted atomically, also across processes).
    /// </summary>
    Task<SubmitOutcome> SubmitAsync(TaskRow task, int? concurrentLimit, CancellationToken cancellationToken);

    Task<TaskRow?> GetTaskAsync(string taskId, CancellationToken cancellationToken);

    Task<IReadOnlyList<TaskRow>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>Records that the broker confirmed the task's start message (a delayed task becomes queued).</summary>
    Task MarkPublishedAsync(string taskId, long now, CancellationToken cancellationToken);

    /// <summary>Leases up to <paramref name="limit"/> due, unpublished tasks whose lease expired, for this process to publish.</summary>
    Task<IReadOnlyList<TaskRow>> ClaimDueTasksAsync(long now, long leaseUntil, string owner, int limit, CancellationToken cancellationToken);

    /// <summary>Stores a done message; false when this exact message (taskId + digest) was stored before.</summary>
    Task<bool> RecordDoneAsync(DoneRecord done, CancellationToken cancellationToken);

    /// <summary>Marks a queued task running (a worker reported a step); false when it is not queued or running.</summary>
    Task<bool> MarkRunningAsync(string taskId, string stepName, long at, CancellationToken cancellationToken);

    /// <summary>Ends a task that was never published as error/cancelled; false when it was published or finished.</summary>
    Task<bool> CancelUnpublishedAsync(string taskId, long now, CancellationToken cancellationToken);

    Task CreateScheduleAsync(ScheduleRow schedule, CancellationToken cancellationToken);

    /// <summary>A schedule, also a deleted one (its runs stay readable).</summary>
    Task<ScheduleRow?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken);

    /// <summary>Stops a schedule; false when there is none.</summary>
    Task<bool> DeleteScheduleAsync(string scheduleId, CancellationToken cancellationToken);

    /// <summary>Leases the schedules whose next firing is due and whose lease expired (one process wins each).</summary>
    Task<IReadOnlyList<ScheduleRow>> ClaimDueSchedulesAsync(long now, long leaseUntil, string owner, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: stores the firing's task (once: its id is derived from the period) and moves the schedule to
    /// <paramref name="nextFireAt"/>, releasing the lease; does nothing when <paramref name="owner"/> lost the lease.
    /// </summary>
    Task<bool> FireScheduleAsync(ScheduleRow schedule, TaskRow firing, long nextFireAt, string owner, CancellationToken cancellationToken);

    /// <summary>The newest finished task of a schedule.</summary>
    Task<TaskRow?> LatestScheduleRunAsync(string scheduleId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClientTaskCount>> CountTasksAsync(CancellationToken cancellationToken);

    /// <summary>A random secret shared by every api process on this store (signs status page links).</summary>
    Task<string> GetOrCreateSecretAsync(CancellationToken cancellationToken);

    /// <summary>Removes request counts of past minutes.</summary>
    Task PruneAsync(long now, CancellationToken cancellationToken);
}
