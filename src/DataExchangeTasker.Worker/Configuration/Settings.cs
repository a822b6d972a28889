using DataExchangeTasker.Governance.Audit;

namespace DataExchangeTasker.Configuration;

/// <summary>Every setting the tasker reads, in the order the README documents them.</summary>
public static class Settings
{
    public static readonly SettingDefinition AmqpUri = new("TASKER_AMQP_URI", "amqp://guest:guest@localhost:5672/", "RabbitMQ connection URI; several (the nodes of one cluster) separated by commas, the first giving credentials and vhost.");
    public static readonly SettingDefinition CodeRoot = new("TASKER_CODE_ROOT", null, "Folder that codePath is relative to (required).");
    public static readonly SettingDefinition DataRoot = new("TASKER_DATA_ROOT", null, "Folder that dataPath is relative to (required).");
    public static readonly SettingDefinition WorkRoot = new("TASKER_WORK_ROOT", "/var/lib/dataexchange-tasker/work", "The tasker's private state folder (created 0700): answered/ (what was answered), leases/ (the running tasker's lease), cancels.log (received cancels). No container sees it.");
    public static readonly SettingDefinition ResultsRoot = new("TASKER_RESULTS_ROOT", "/var/lib/dataexchange-tasker/results", "Folder of per-task output folders (the files the code wrote to /tmp/out); readable by the tasker's user and group only.");
    public static readonly SettingDefinition SnapshotRoot = new("TASKER_SNAPSHOT_ROOT", "/var/lib/dataexchange-tasker/code", "Content-addressed read-only copies of approved code (what gets mounted); must be a path dockerd sees.");
    public static readonly SettingDefinition Image = new("TASKER_IMAGE", "dataexchange-tasker-runner:latest", "Runner image with python, strace and supervise.sh (runner-image/).");
    public static readonly SettingDefinition Concurrency = new("TASKER_CONCURRENCY", "2", "Tasks run in parallel (also the prefetch count).");
    public static readonly SettingDefinition TodoQueue = new("TASKER_TODO_QUEUE", "tasker_todo", "Queue of start messages.");
    public static readonly SettingDefinition DoneQueue = new("TASKER_DONE_QUEUE", "tasker_done", "Queue of done messages.");
    public static readonly SettingDefinition DockerHost = new("DOCKER_HOST", "unix:///var/run/docker.sock", "Docker engine endpoint (unix:// or tcp://).");
    public static readonly SettingDefinition TaskTimeout = new("TASKER_TASK_TIMEOUT", "1800", "Seconds a task may run before it is killed (reason timeout).");
    public static readonly SettingDefinition MemoryLimit = new("TASKER_MEMORY_LIMIT", "512m", "Container memory limit, no extra swap (bytes; k/m/g suffixes).");
    public static readonly SettingDefinition CpuLimit = new("TASKER_CPU_LIMIT", "1", "CPUs a task may use (fractions allowed).");
    public static readonly SettingDefinition PidsLimit = new("TASKER_PIDS_LIMIT", "128", "Processes and threads a task may have.");
    public static readonly SettingDefinition OutputLimit = new("TASKER_OUTPUT_LIMIT", "1m", "Bytes kept per stream (stdout, stderr, strace) in the done message.");
    public static readonly SettingDefinition OutputFilesLimit = new("TASKER_OUTPUT_FILES_LIMIT", "1000", "Entries of /tmp/out kept per task, files and folders alike; past it (or past the work size limit in total, a folder counting 4096 bytes) the rest is dropped and listed in refusedOutputs.");
    public static readonly SettingDefinition StraceFilter = new("TASKER_STRACE_FILTER", "%file,%network,%process", "strace -e trace= expression; 'all' for a full trace.");
    public static readonly SettingDefinition Witness = new("TASKER_WITNESS", "auto", "auto, fanotify or off: a second record, kept by the host kernel outside the sandbox, of every data file each task opened (traceSummary.witness); auto uses fanotify when the tasker has CAP_SYS_ADMIN on the host, fanotify makes start-up fail without it.");
    public static readonly SettingDefinition Runtime = new("TASKER_RUNTIME", null, "OCI runtime registered with the engine (e.g. runsc); empty for the engine's default.");
    public static readonly SettingDefinition User = new("TASKER_USER", "64000:64000", "uid:gid the code runs as inside the container; must be unused on the host (a host process with that uid could read a running task's /tmp/out).");
    public static readonly SettingDefinition TmpfsSize = new("TASKER_TMPFS_SIZE", "64m", "Size of the writable tmpfs at /tmp inside the container.");
    public static readonly SettingDefinition FileSizeLimit = new("TASKER_FILE_SIZE_LIMIT", "256m", "Largest file a task may write (fsize ulimit).");
    public static readonly SettingDefinition WorkSizeLimit = new("TASKER_WORK_SIZE_LIMIT", "512m", "Size of a task's /tmp/out (a tmpfs inside the container), and the most output-file bytes kept.");
    public static readonly SettingDefinition OpenFilesLimit = new("TASKER_OPEN_FILES_LIMIT", "256", "Open files per process (nofile ulimit).");
    public static readonly SettingDefinition KeepAlive = new("TASKER_KEEP_ALIVE", "false", "Debugging: keep each container up after the code ends, for docker exec.", IsFlag: true);
    public static readonly SettingDefinition KeepAliveTimeout = new("TASKER_KEEP_ALIVE_TIMEOUT", "1800", "Seconds a kept-alive container stays up.");
    public static readonly SettingDefinition RequireCodeHash = new("TASKER_REQUIRE_CODE_HASH", "false", "Reject start messages without codeHash.eTag.", IsFlag: true);
    public static readonly SettingDefinition QueueType = new("TASKER_QUEUE_TYPE", "classic", "classic or quorum (for broker clusters).");
    public static readonly SettingDefinition MaxMessageSize = new("TASKER_MAX_MESSAGE_SIZE", "127m", "Largest done message sent; longer streams are cut (truncated flags set). Keep it below the broker's max_message_size (RabbitMQ default 128 MiB).");
    public static readonly SettingDefinition DeclareTopology = new("TASKER_DECLARE_TOPOLOGY", "true", "Declare exchanges and queues at start-up; false to use what exists.");
    public static readonly SettingDefinition LegacyTopology = new("TASKER_LEGACY_TOPOLOGY", "false", "Declare missing queues and exchanges as the Scala tasker did (non-durable), for unchanged v0.1 consumers.", IsFlag: true);
    public static readonly SettingDefinition LegacyETag = new("TASKER_LEGACY_ETAG", "reject", "What to do with a codeHash.eTag that is not a sha256 code hash (the original's WebDAV ETag): reject, or ignore it as if absent.");
    public static readonly SettingDefinition MaxRetries = new("TASKER_MAX_RETRIES", "3", "Retries of a task that failed because of the Docker engine.");
    public static readonly SettingDefinition DrainTimeout = new("TASKER_DRAIN_TIMEOUT", "60", "Seconds running tasks may finish after SIGTERM.");
    public static readonly SettingDefinition HttpBind = new("TASKER_HTTP_BIND", "127.0.0.1:9432", "host:port of the health and metrics endpoint; 'off' to disable.");
    public static readonly SettingDefinition LogFormat = new("TASKER_LOG_FORMAT", "text", "text or json (JSON lines).");
    public static readonly SettingDefinition LogLevel = new("TASKER_LOG_LEVEL", "info", "debug, info, warning or error.");
    public static readonly SettingDefinition OtlpEndpoint = new("TASKER_OTLP_ENDPOINT", null, "OTLP endpoint for traces (e.g. http://localhost:4317); unset disables export.");
    public static readonly SettingDefinition CancelMemory = new("TASKER_CANCEL_MEMORY", "86400", "Seconds a cancel ({\"cancel\": taskId} on tasker_control) is remembered, across restarts, for tasks still queued.");
    public static readonly SettingDefinition Progress = new("TASKER_PROGRESS", "false", "Publish progress ({taskId, step, stepIndex, at}) to the exchange tasker_progress.", IsFlag: true);
    public static readonly SettingDefinition DoneFormat = new("TASKER_DONE_FORMAT", "v1", "Shape of done messages: v1, or v0.2 (the original's later Running/Success/Error/Rejected states).");
    public static readonly SettingDefinition TaskerId = new("TASKER_ID", null, "This tasker's identity on container labels; defaults to the host name.");
    public static readonly SettingDefinition CleanupGrace = new("TASKER_CLEANUP_GRACE", "300", "Seconds before the first sweep of leftovers of a previous run that no task claims (a running one is left to its time limit, an ended one kept a day).");
    public static readonly SettingDefinition ApprovalsFile = new("TASKER_APPROVALS_FILE", null, "File of approved code hashes (tasker approve); when set, unlisted code is rejected not_approved. Re-read on change.");
    public static readonly SettingDefinition SigningKey = new("TASKER_SIGNING_KEY", null, "Ed25519 private key file (tasker keygen) that signs run receipts and audit lines; unset: no receipts.");
    public static readonly SettingDefinition AuditLog = new("TASKER_AUDIT_LOG", null, "Append-only, hash-chained audit log (JSON lines), fsynced before each done message; unset: none.");
    public static readonly SettingDefinition DataHash = new("TASKER_DATA_HASH", "false", "Also hash the full content of the data into each receipt (reads all of it per task).", IsFlag: true);
    public static readonly SettingDefinition Images = new("TASKER_IMAGES", null, "Runner images a start message may ask for by name: name=image[,name=image...], each image an id (sha256:...), a digest (repo@sha256:...) or a tag, pinned to its id at start-up; unset: only TASKER_IMAGE.");
    public static readonly SettingDefinition DepsRoot = new("TASKER_DEPS_ROOT", "/var/lib/dataexchange-tasker/deps", "Installed requirements.txt packages, one read-only folder per requirements + image + package source, reused by later tasks; must be a path dockerd sees.");
    public static readonly SettingDefinition Wheelhouse = new("TASKER_WHEELHOUSE", null, "Folder of wheels (.whl) a code folder's requirements.txt is installed from, offline (pip --no-index --find-links), in a preparation container with no network and no data.");
    public static readonly SettingDefinition PipIndexUrl = new("TASKER_PIP_INDEX_URL", null, "Package index (e.g. http://mirror:3141/simple) for requirements.txt instead of a wheelhouse; needs TASKER_PIP_NETWORK.");
    public static readonly SettingDefinition PipNetwork = new("TASKER_PIP_NETWORK", null, "An internal Docker network (docker network create --internal) on which the preparation container reaches TASKER_PIP_INDEX_URL; checked at start-up.");
    public static readonly SettingDefinition PipTimeout = new("TASKER_PIP_TIMEOUT", "300", "Seconds an install of requirements.txt may take; past it the task ends error, reason dependencies_failed.");
    public static readonly SettingDefinition DepsSizeLimit = new("TASKER_DEPS_SIZE_LIMIT", "512m", "Largest installed requirements.txt (a tmpfs in the preparation container, counted in its memory limit).");

    /// <summary>All settings, in documentation order.</summary>
    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        AmqpUri, CodeRoot, DataRoot, WorkRoot, ResultsRoot, SnapshotRoot, Image, Concurrency, TodoQueue, DoneQueue, DockerHost,
        TaskTimeout, MemoryLimit, CpuLimit, PidsLimit, OutputLimit, OutputFilesLimit, StraceFilter, Witness, Runtime, User, TmpfsSize,
        FileSizeLimit, WorkSizeLimit, OpenFilesLimit, KeepAlive, KeepAliveTimeout, RequireCodeHash, QueueType, MaxMessageSize, DeclareTopology,
        LegacyTopology, LegacyETag,
        MaxRetries, DrainTimeout, HttpBind, LogFormat, LogLevel, OtlpEndpoint, TaskerId, CleanupGrace,
        ApprovalsFile, SigningKey, AuditLog, DataHash,
        Images, CancelMemory, Progress, DoneFormat,
        DepsRoot, Wheelhouse, PipIndexUrl, PipNetwork, PipTimeout, DepsSizeLimit,
    ];
}
