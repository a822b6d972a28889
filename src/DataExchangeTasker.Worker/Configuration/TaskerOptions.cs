using DataExchangeTasker.Docker;
using DataExchangeTasker.Images;

namespace DataExchangeTasker.Configuration;

/// <summary>The validated configuration of one tasker process.</summary>
public sealed record TaskerOptions(
    MessagingOptions Messaging,
    SandboxOptions Sandbox,
    DockerEndpoint DockerHost,
    int Concurrency,
    int MaxRetries,
    TimeSpan DrainTimeout,
    TimeSpan CleanupGrace,
    string? HttpBind,
    string LogFormat,
    string LogLevel,
    Uri? OtlpEndpoint,
    string TaskerId)
{
    /// <summary>Approved code, receipts and the audit log (all off by default).</summary>
    public GovernanceOptions Governance { get; init; } = GovernanceOptions.Off;

    /// <summary>Cancel memory, progress messages and the done format.</summary>
    public ControlOptions Control { get; init; } = ControlOptions.Default;

    /// <summary>How a code folder's requirements.txt is installed.</summary>
    public DependencyOptions Dependencies { get; init; } = DependencyOptions.Default;

    /// <summary><c>TASKER_WITNESS</c>: the second record of data opens, kept outside the sandbox.</summary>
    public Witness.WitnessMode Witness { get; init; } = DataExchangeTasker.Witness.WitnessMode.Auto;
}

/// <summary>What the node checks before a run and records after it.</summary>
/// <param name="ApprovalsFile">Approved code hashes; null: any code with a matching (or no) eTag may run.</param>
/// <param name="SigningKeyFile">Ed25519 private key that signs receipts and audit lines; null: no receipts.</param>
/// <param name="AuditLogFile">Hash-chained audit log; null: none.</param>
/// <param name="HashDataContent">Hash the data's full content into each receipt.</param>
public sealed record GovernanceOptions(string? ApprovalsFile, string? SigningKeyFile, string? AuditLogFile, bool HashDataContent)
{
    /// <summary>Nothing enabled.</summary>
    public static GovernanceOptions Off { get; } = new(null, null, null, false);
}

/// <summary>Broker connection and topology.</summary>
public sealed record MessagingOptions(
    Uri AmqpUri,
    string TodoQueue,
    string DoneQueue,
    string QueueType,
    bool DeclareTopology)
{
    /// <summary>
    /// Every broker node of <c>TASKER_AMQP_URI</c> (a comma-separated list), <see cref="AmqpUri"/> first, which
    /// also gives the credentials, virtual host and TLS for all of them; empty means just <see cref="AmqpUri"/>.
    /// </summary>
    public IReadOnlyList<Uri> AmqpUris { get; init; } = [];

    /// <summary>Declare missing queues and exchanges non-durable, exactly as the Scala tasker did (<c>TASKER_LEGACY_TOPOLOGY</c>).</summary>
    public bool LegacyTopology { get; init; }

    /// <summary>Where start messages nobody can answer go: <c>&lt;todo&gt;.dead</c>.</summary>
    public string DeadLetterQueue => TodoQueue + ".dead";

    /// <summary>TASKER_MAX_MESSAGE_SIZE: the largest done message body sent (bytes).</summary>
    public long MaxMessageSizeBytes { get; init; } = 127L * 1024 * 1024;
}

/// <summary>Where code and data come from and how each container is confined.</summary>
public sealed record SandboxOptions(
    string CodeRoot,
    string DataRoot,
    string WorkRoot,
    string Image,
    TimeSpan TaskTimeout,
    long MemoryLimitBytes,
    double CpuLimit,
    int PidsLimit,
    long OutputLimitBytes,
    string StraceFilter,
    string? Runtime,
    string User,
    long TmpfsSizeBytes,
    long FileSizeLimitBytes,
    long WorkSizeLimitBytes,
    int OpenFilesLimit,
    bool KeepAlive,
    TimeSpan KeepAliveTimeout,
    bool RequireCodeHash)
{
    /// <summary>What a <c>codeHash.eTag</c> that is not a sha256 code hash leads to (<c>TASKER_LEGACY_ETAG</c>).</summary>
    public Protocol.LegacyETagHandling LegacyETag { get; init; }

    /// <summary>Where each task's output files are stored (a folder per task, owner and group only).</summary>
    public string ResultsRoot { get; init; } = "/var/lib/dataexchange-tasker/results";

    /// <summary>Where approved code is copied, read-only and content-addressed, before it is mounted.</summary>
    public string SnapshotRoot { get; init; } = "/var/lib/dataexchange-tasker/code";

    /// <summary>Entries of /tmp/out kept per task, files and folders alike.</summary>
    public int OutputFilesLimit { get; init; } = 1000;

    /// <summary>Runner images a start message may ask for by name (<c>TASKER_IMAGES</c>), not yet pinned to ids.</summary>
    public IReadOnlyList<ApprovedImageEntry> Images { get; init; } = [];
}
