namespace DataExchangeTasker.Configuration;

/// <summary>Everything <c>tasker api</c> needs, validated.</summary>
/// <param name="Bind">Address Kestrel listens on.</param>
/// <param name="Database">SQLite path or postgres:// URI.</param>
/// <param name="AdminKey">Null when the admin endpoints are off.</param>
/// <param name="Tiers">Limits per tier name.</param>
/// <param name="InstanceId">Lease owner name.</param>
/// <param name="Messaging">Broker and queues, as the worker reads them.</param>
/// <param name="LogFormat">text or json.</param>
/// <param name="LogLevel">debug, info, warning or error.</param>
/// <param name="MaxSchedulesPerClient">Schedules one client may have.</param>
/// <param name="TaskTimeout">The workers' time limit of a task that asks for none (TASKER_TASK_TIMEOUT).</param>
/// <param name="AnswerGrace">How long past its time limit a published task may stay without a done message.</param>
public sealed record ApiOptions(
    System.Net.IPEndPoint Bind,
    string Database,
    string? AdminKey,
    IReadOnlyDictionary<string, TierLimits> Tiers,
    string InstanceId,
    MessagingOptions Messaging,
    string LogFormat,
    string LogLevel,
    int MaxSchedulesPerClient = 20,
    TimeSpan? TaskTimeout = null,
    TimeSpan? AnswerGrace = null)
{
    /// <summary>The workers' default time limit (30 min unless configured).</summary>
    public TimeSpan DefaultTaskTimeout => TaskTimeout ?? TimeSpan.FromSeconds(1800);

    /// <summary>The grace past a task's time limit (1 h unless configured).</summary>
    public TimeSpan AnswerGraceOrDefault => AnswerGrace ?? TimeSpan.FromHours(1);
}

/// <summary>One tier's quota.</summary>
/// <param name="RequestsPerMinute">Authenticated requests per calendar minute.</param>
/// <param name="Concurrent">Unfinished (scheduled, queued or running) tasks at once.</param>
public sealed record TierLimits(int RequestsPerMinute, int Concurrent);
