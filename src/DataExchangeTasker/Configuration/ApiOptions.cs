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
public sealed record ApiOptions(
    System.Net.IPEndPoint Bind,
    string Database,
    string? AdminKey,
    IReadOnlyDictionary<string, TierLimits> Tiers,
    string InstanceId,
    MessagingOptions Messaging,
    string LogFormat,
    string LogLevel);

/// <summary>One tier's quota.</summary>
/// <param name="RequestsPerMinute">Authenticated requests per calendar minute.</param>
/// <param name="Concurrent">Unfinished (scheduled, queued or running) tasks at once.</param>
public sealed record TierLimits(int RequestsPerMinute, int Concurrent);
