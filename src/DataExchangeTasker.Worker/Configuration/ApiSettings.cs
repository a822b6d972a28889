namespace DataExchangeTasker.Configuration;

/// <summary>Settings only <c>tasker api</c> reads (it also reads the broker and queue settings of <see cref="Settings"/>).</summary>
public static class ApiSettings
{
    public static readonly SettingDefinition Bind = new("TASKER_API_BIND", "127.0.0.1:9433", "host:port the HTTP API listens on.");
    public static readonly SettingDefinition Database = new("TASKER_DB", "/var/lib/dataexchange-tasker/tasker.db", "Task store: a SQLite file path, or a postgres:// URI shared by several api processes.");
    public static readonly SettingDefinition AdminKey = new("TASKER_ADMIN_KEY", null, "Key for the /admin endpoints (header X-Admin-Key); unset: admin endpoints answer 403.");
    public static readonly SettingDefinition Tiers = new("TASKER_API_TIERS", "free=10/1,basic=100/5,premium=1000/20,enterprise=5000/50", "Client tiers: name=requests per minute/concurrent unfinished tasks, comma separated.");
    public static readonly SettingDefinition InstanceId = new("TASKER_API_ID", null, "This api process's name on schedule and delayed-task leases; defaults to host name and pid.");
    public static readonly SettingDefinition MaxSchedules = new("TASKER_API_MAX_SCHEDULES", "20", "Schedules (not deleted) one client may have.");
    public static readonly SettingDefinition AnswerGrace = new("TASKER_API_ANSWER_GRACE", "3600", "Seconds past a published task's time limit (its limits.timeoutSeconds, else TASKER_TASK_TIMEOUT) after which a task without a done message ends error/no_answer and stops counting against its client.");

    /// <summary>Every api-only setting, in documentation order.</summary>
    public static IReadOnlyList<SettingDefinition> All { get; } = [Bind, Database, AdminKey, Tiers, InstanceId, MaxSchedules, AnswerGrace];

    /// <summary>The settings <c>tasker api</c> reads that the worker defines too.</summary>
    public static IReadOnlyList<SettingDefinition> Shared { get; } =
        [Settings.AmqpUri, Settings.TodoQueue, Settings.DoneQueue, Settings.QueueType, Settings.DeclareTopology, Settings.TaskTimeout, Settings.LogFormat, Settings.LogLevel];
}
