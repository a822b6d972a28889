using DataExchangeTasker.Docker;
using DataExchangeTasker.Images;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Configuration;

/// <summary>Builds <see cref="TaskerOptions"/> from environment-style settings (flags already merged in).</summary>
public static class TaskerOptionsLoader
{
    /// <summary>Reads and validates every setting; throws <see cref="ConfigurationException"/> listing all problems.</summary>
    public static TaskerOptions Load(IReadOnlyDictionary<string, string?> values)
    {
        var r = new SettingsReader(values);
        var messaging = ReadMessaging(r);

        var sandbox = new SandboxOptions(
            CodeRoot: r.ExistingFolder(Settings.CodeRoot),
            DataRoot: r.ExistingFolder(Settings.DataRoot),
            WorkRoot: r.AbsolutePath(Settings.WorkRoot),
            Image: r.Required(Settings.Image),
            TaskTimeout: r.Seconds(Settings.TaskTimeout, 1, 7 * 24 * 3600),
            MemoryLimitBytes: r.Bytes(Settings.MemoryLimit, 6 * 1024 * 1024),
            CpuLimit: r.Double(Settings.CpuLimit, 0, Environment.ProcessorCount * 4.0),
            PidsLimit: r.Int(Settings.PidsLimit, 8, 1_000_000),
            OutputLimitBytes: r.Bytes(Settings.OutputLimit, 1024),
            StraceFilter: r.Required(Settings.StraceFilter),
            Runtime: r.Optional(Settings.Runtime),
            User: r.Parse(Settings.User, ParseCodeUser, "uid:gid with a non-zero uid, e.g. 64000:64000"),
            TmpfsSizeBytes: r.Bytes(Settings.TmpfsSize, 1024 * 1024),
            FileSizeLimitBytes: r.Bytes(Settings.FileSizeLimit, 1024 * 1024),
            WorkSizeLimitBytes: r.Bytes(Settings.WorkSizeLimit, 1024 * 1024),
            OpenFilesLimit: r.Int(Settings.OpenFilesLimit, 16, 1_048_576),
            KeepAlive: r.Bool(Settings.KeepAlive),
            KeepAliveTimeout: r.Seconds(Settings.KeepAliveTimeout, 1, 7 * 24 * 3600),
            RequireCodeHash: r.Bool(Settings.RequireCodeHash))
        {
            ResultsRoot = r.AbsolutePath(Settings.ResultsRoot),
            SnapshotRoot = r.AbsolutePath(Settings.SnapshotRoot),
            OutputFilesLimit = r.Int(Settings.OutputFilesLimit, 0, 1_000_000),
            Images = ReadImages(r),
            LegacyETag = r.OneOf(Settings.LegacyETag, "reject", "ignore") == "ignore" ? LegacyETagHandling.Ignore : LegacyETagHandling.Reject,
        };

        var options = new TaskerOptions(
            messaging,
            sandbox,
            r.Parse(Settings.DockerHost, DockerEndpoint.Parse, "unix:///path/to/docker.sock or tcp://host:port"),
            Concurrency: r.Int(Settings.Concurrency, 1, 256),
            MaxRetries: r.Int(Settings.MaxRetries, 0, 100),
            DrainTimeout: r.Seconds(Settings.DrainTimeout, 0, 24 * 3600),
            CleanupGrace: r.Seconds(Settings.CleanupGrace, 0, 7 * 24 * 3600),
            HttpBind: ReadHttpBind(r),
            LogFormat: r.OneOf(Settings.LogFormat, "text", "json"),
            LogLevel: r.OneOf(Settings.LogLevel, "debug", "info", "warning", "error"),
            OtlpEndpoint: r.Parse(Settings.OtlpEndpoint, t => new Uri(t, UriKind.Absolute), "an absolute URI like http://localhost:4317"),
            TaskerId: r.Optional(Settings.TaskerId) ?? Environment.MachineName)
        {
            Governance = ReadGovernance(r),
            Control = new ControlOptions(
                r.Seconds(Settings.CancelMemory, 60, 365 * 24 * 3600),
                r.Bool(Settings.Progress),
                r.OneOf(Settings.DoneFormat, "v1", "v0.2")),
            Dependencies = ReadDependencies(r),
            Witness = r.OneOf(Settings.Witness, "auto", "fanotify", "off") switch
            {
                "fanotify" => Witness.WitnessMode.Fanotify,
                "off" => Witness.WitnessMode.Off,
                _ => Witness.WitnessMode.Auto,
            },
        };

        if (options.Dependencies.Root.Length > 0 && IsInside(options.Dependencies.Root, options.Sandbox.CodeRoot, options.Sandbox.DataRoot))
        {
            r.Fail(Settings.DepsRoot, options.Dependencies.Root, "a folder outside the code and data roots");
        }

        if (options.Dependencies.Wheelhouse is { Length: > 0 } wheels && IsInside(wheels, options.Sandbox.DataRoot))
        {
            r.Fail(Settings.Wheelhouse, wheels, "a folder outside the data root (the preparation container never sees data)");
        }

        if (options.Sandbox.WorkRoot.Length > 0 && IsInside(options.Sandbox.WorkRoot, options.Sandbox.CodeRoot, options.Sandbox.DataRoot))
        {
            r.Fail(Settings.WorkRoot, options.Sandbox.WorkRoot, "a folder outside the code and data roots (the tasker's private state)");
        }

        if (options.Sandbox.ResultsRoot.Length > 0 && IsInside(options.Sandbox.ResultsRoot, options.Sandbox.CodeRoot, options.Sandbox.DataRoot))
        {
            r.Fail(Settings.ResultsRoot, options.Sandbox.ResultsRoot, "a folder outside the code and data roots (task outputs are stored there)");
        }

        if (options.Sandbox.SnapshotRoot.Length > 0 && IsInside(options.Sandbox.SnapshotRoot, options.Sandbox.CodeRoot, options.Sandbox.DataRoot))
        {
            r.Fail(Settings.SnapshotRoot, options.Sandbox.SnapshotRoot, "a folder outside the code and data roots");
        }

        return r.Errors.Count > 0 ? throw new ConfigurationException(r.Errors) : options;
    }

    /// <summary>Only the broker settings, for commands that publish (<c>tasker submit</c>).</summary>
    public static MessagingOptions LoadMessaging(IReadOnlyDictionary<string, string?> values)
    {
        var r = new SettingsReader(values);
        var messaging = ReadMessaging(r);
        return r.Errors.Count > 0 ? throw new ConfigurationException(r.Errors) : messaging;
    }

    /// <summary>Only the engine setting, for <c>tasker cleanup</c>.</summary>
    public static (DockerEndpoint Docker, string WorkRoot) LoadCleanup(IReadOnlyDictionary<string, string?> values)
    {
        var r = new SettingsReader(values);
        var result = (r.Parse(Settings.DockerHost, DockerEndpoint.Parse, "unix:///path/to/docker.sock or tcp://host:port"), r.AbsolutePath(Settings.WorkRoot));
        return r.Errors.Count > 0 ? throw new ConfigurationException(r.Errors) : result;
    }

    private static DependencyOptions ReadDependencies(SettingsReader r)
    {
        var wheelhouse = r.Optional(Settings.Wheelhouse) is null ? null : r.ExistingFolder(Settings.Wheelhouse);
        var index = r.Parse(Settings.PipIndexUrl, ParseIndexUrl, "an http:// or https:// URL of a package index, like http://mirror:3141/simple");
        var network = r.Optional(Settings.PipNetwork);
        if (wheelhouse is not null && index is not null)
        {
            r.Fail(Settings.PipIndexUrl, index.ToString(), $"unset while {Settings.Wheelhouse.Name} is set (one package source: the wheelhouse, or an index)");
        }

        if (index is not null && network is null)
        {
            r.Missing(Settings.PipNetwork, $"the name of an internal Docker network on which {Settings.PipIndexUrl.Name} is reachable (docker network create --internal NAME)");
        }

        if (network is not null && index is null)
        {
            r.Fail(Settings.PipNetwork, network, $"unset unless {Settings.PipIndexUrl.Name} is set (the network only serves the index)");
        }

        return new DependencyOptions(
            r.AbsolutePath(Settings.DepsRoot),
            wheelhouse,
            index,
            network,
            r.Seconds(Settings.PipTimeout, 10, 24 * 3600),
            r.Bytes(Settings.DepsSizeLimit, 1024 * 1024));
    }

    private static Uri ParseIndexUrl(string text)
    {
        var uri = new Uri(text, UriKind.Absolute);
        return uri.Scheme is "http" or "https" && uri.Host.Length > 0 ? uri : throw new FormatException("not an http(s) URL");
    }

    private static string ParseCodeUser(string text)
    {
        var parts = text.Split(':');
        return parts.Length == 2 && parts.All(p => p.Length is > 0 and <= 9 && p.All(char.IsAsciiDigit)) && long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) != 0
            ? text
            : throw new FormatException("not uid:gid");
    }

    private static GovernanceOptions ReadGovernance(SettingsReader r)
    {
        string? OptionalPath(SettingDefinition s) => r.Optional(s) is null ? null : r.AbsolutePath(s);

        var signingKey = OptionalPath(Settings.SigningKey);
        if (signingKey is { Length: > 0 } && Path.IsPathFullyQualified(signingKey) && !File.Exists(signingKey))
        {
            r.Fail(Settings.SigningKey, signingKey, "an existing key file (make one with tasker keygen)");
        }

        // A missing approvals file is not a configuration error: it approves nothing, and each task says so.
        return new GovernanceOptions(OptionalPath(Settings.ApprovalsFile), signingKey, OptionalPath(Settings.AuditLog), r.Bool(Settings.DataHash));
    }

    private static IReadOnlyList<ApprovedImageEntry> ReadImages(SettingsReader r)
    {
        var text = r.Optional(Settings.Images);
        if (text is null)
        {
            return [];
        }

        var entries = ApprovedImageListParser.TryParse(text, out var errors);
        if (entries is null)
        {
            r.Fail(Settings.Images, text, "comma-separated name=image entries (" + string.Join("; ", errors) + ")");
        }

        return entries ?? [];
    }

    /// <summary>The broker and queue settings, read into <paramref name="r"/>'s error list (for <c>tasker api</c>).</summary>
    internal static MessagingOptions LoadMessagingFrom(SettingsReader r) => ReadMessaging(r);

    private static MessagingOptions ReadMessaging(SettingsReader r)
    {
        var uris = r.Parse(Settings.AmqpUri, ParseAmqpUris,
            "an amqp:// or amqps:// URI like amqp://user:pass@host:5672/vhost, or several (the nodes of a cluster) separated by commas")
            ?? [];
        return new MessagingOptions(
            uris.Count > 0 ? uris[0] : new Uri(Settings.AmqpUri.Default!),
            r.Required(Settings.TodoQueue),
            r.Required(Settings.DoneQueue),
            r.OneOf(Settings.QueueType, "classic", "quorum"),
            r.Bool(Settings.DeclareTopology))
        {
            AmqpUris = uris,
            LegacyTopology = r.Bool(Settings.LegacyTopology),
            MaxMessageSizeBytes = r.Bytes(Settings.MaxMessageSize, 64 * 1024),
        };
    }

    /// <summary>Names of <c>TASKER_*</c> variables that are not settings: most likely typos.</summary>
    public static IReadOnlyList<string> UnknownVariables(IEnumerable<string> names) =>
        names.Where(n => n.StartsWith("TASKER_", StringComparison.Ordinal) && Settings.All.All(s => s.Name != n) && ApiSettings.All.All(s => s.Name != n))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static IReadOnlyList<Uri> ParseAmqpUris(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } parts
            ? parts.Select(ParseAmqpUri).ToList()
            : throw new FormatException("no URI");

    private static Uri ParseAmqpUri(string text)
    {
        var uri = new Uri(text, UriKind.Absolute);
        return uri.Scheme is "amqp" or "amqps" && uri.Host.Length > 0
            ? uri
            : throw new FormatException("not an AMQP URI");
    }

    private static string? ReadHttpBind(SettingsReader r)
    {
        var text = r.Optional(Settings.HttpBind);
        if (text is null || text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            r.Fail(Settings.HttpBind, text, "host:port like 127.0.0.1:9432, or off");
        }

        return text;
    }

    private static bool IsInside(string path, params string[] roots)
    {
        // Compared as the kernel resolves them: "<code>/../data/x" or a symbolic link into a root is inside it.
        var real = Canonical(path);
        return roots.Any(root => root.Length > 0 && Canonical(root) is var r
            && (real == r || real.StartsWith(r.TrimEnd('/') + "/", StringComparison.Ordinal)));
    }

    /// <summary>The path with every symbolic link resolved as far as it exists, and '..' folded.</summary>
    private static string Canonical(string path)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            return path;
        }

        var full = Path.GetFullPath(path).TrimEnd('/');
        // A path that does not exist yet (a root the tasker creates) resolves through its deepest existing parent.
        var tail = "";
        for (var head = full; head.Length > 1; head = Path.GetDirectoryName(head) ?? "/")
        {
            if (Sandbox.Preparation.NativeFiles.RealPath(head, out _) is { } resolved)
            {
                return (resolved.TrimEnd('/') + tail) is { Length: > 0 } joined ? joined : "/";
            }

            tail = "/" + Path.GetFileName(head) + tail;
        }

        return full.Length > 0 ? full : "/";
    }
}
