using DataExchangeTasker.Configuration;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Configuration;

public sealed class TaskerOptionsLoaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _code;
    private readonly string _data;

    public TaskerOptionsLoaderTests()
    {
        _code = _temp.CreateFolder("code");
        _data = _temp.CreateFolder("data");
    }

    public void Dispose() => _temp.Dispose();

    private Dictionary<string, string?> Values(params (string Name, string? Value)[] extra)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["TASKER_CODE_ROOT"] = _code,
            ["TASKER_DATA_ROOT"] = _data,
            ["TASKER_WORK_ROOT"] = _temp.Combine("work"),
        };
        foreach (var (name, value) in extra)
        {
            values[name] = value;
        }

        return values;
    }

    private ConfigurationException LoadFails(params (string Name, string? Value)[] extra) =>
        Assert.Throws<ConfigurationException>(() => TaskerOptionsLoader.Load(Values(extra)));

    [Theory]
    [InlineData(null, DataExchangeTasker.Witness.WitnessMode.Auto)]
    [InlineData("auto", DataExchangeTasker.Witness.WitnessMode.Auto)]
    [InlineData("fanotify", DataExchangeTasker.Witness.WitnessMode.Fanotify)]
    [InlineData("off", DataExchangeTasker.Witness.WitnessMode.Off)]
    public void Load_Witness_ParsesEachModeDefaultingToAuto(string? value, DataExchangeTasker.Witness.WitnessMode expected)
    {
        var o = TaskerOptionsLoader.Load(value is null ? Values() : Values(("TASKER_WITNESS", value)));

        Assert.Equal(expected, o.Witness);
    }

    [Fact]
    public void Load_SeveralAmqpUris_KeepsThemAllInOrderFirstAsTheUri()
    {
        var o = TaskerOptionsLoader.Load(Values(("TASKER_AMQP_URI", "amqp://u:p@node1:5672/vh, amqp://node2:5673 ,amqp://node3")));

        Assert.Equal(new Uri("amqp://u:p@node1:5672/vh"), o.Messaging.AmqpUri);
        Assert.Equal(["node1", "node2", "node3"], o.Messaging.AmqpUris.Select(u => u.Host));
        Assert.Equal(5673, o.Messaging.AmqpUris[1].Port);
    }

    [Fact]
    public void Load_OneBadUriInTheList_FailsNamingTheSetting()
    {
        var error = LoadFails(("TASKER_AMQP_URI", "amqp://node1,http://node2"));

        Assert.Contains("TASKER_AMQP_URI", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LegacySettings_AreRead()
    {
        var o = TaskerOptionsLoader.Load(Values(("TASKER_LEGACY_TOPOLOGY", "true"), ("TASKER_LEGACY_ETAG", "ignore")));

        Assert.True(o.Messaging.LegacyTopology);
        Assert.Equal(DataExchangeTasker.Protocol.LegacyETagHandling.Ignore, o.Sandbox.LegacyETag);
    }

    [Fact]
    public void Load_UnknownLegacyETagHandling_FailsNamingTheChoices()
    {
        var error = LoadFails(("TASKER_LEGACY_ETAG", "accept"));

        Assert.Contains("TASKER_LEGACY_ETAG", error.Message, StringComparison.Ordinal);
        Assert.Contains("ignore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OnlyRoots_AppliesEveryDocumentedDefault()
    {
        var values = Values();
        values.Remove("TASKER_WORK_ROOT");

        var o = TaskerOptionsLoader.Load(values);

        Assert.Equal(new Uri("amqp://guest:guest@localhost:5672/"), o.Messaging.AmqpUri);
        Assert.Equal("tasker_todo", o.Messaging.TodoQueue);
        Assert.Equal("tasker_done", o.Messaging.DoneQueue);
        Assert.Equal("tasker_todo.dead", o.Messaging.DeadLetterQueue);
        Assert.Equal("classic", o.Messaging.QueueType);
        Assert.True(o.Messaging.DeclareTopology);
        Assert.False(o.Messaging.LegacyTopology);
        Assert.Equal(DataExchangeTasker.Protocol.LegacyETagHandling.Reject, o.Sandbox.LegacyETag);
        Assert.Equal(_code, o.Sandbox.CodeRoot);
        Assert.Equal(_data, o.Sandbox.DataRoot);
        Assert.Equal("/var/lib/dataexchange-tasker/work", o.Sandbox.WorkRoot);
        Assert.Equal("dataexchange-tasker-runner:latest", o.Sandbox.Image);
        Assert.Equal(TimeSpan.FromSeconds(1800), o.Sandbox.TaskTimeout);
        Assert.Equal(512L * 1024 * 1024, o.Sandbox.MemoryLimitBytes);
        Assert.Equal(1.0, o.Sandbox.CpuLimit);
        Assert.Equal(128, o.Sandbox.PidsLimit);
        Assert.Equal(1024L * 1024, o.Sandbox.OutputLimitBytes);
        Assert.Equal("%file,%network,%process", o.Sandbox.StraceFilter);
        Assert.Null(o.Sandbox.Runtime);
        Assert.Equal("64000:64000", o.Sandbox.User);
        Assert.Equal(64L * 1024 * 1024, o.Sandbox.TmpfsSizeBytes);
        Assert.Equal(256L * 1024 * 1024, o.Sandbox.FileSizeLimitBytes);
        Assert.Equal(256, o.Sandbox.OpenFilesLimit);
        Assert.False(o.Sandbox.KeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(1800), o.Sandbox.KeepAliveTimeout);
        Assert.False(o.Sandbox.RequireCodeHash);
        Assert.Equal("/var/lib/dataexchange-tasker/results", o.Sandbox.ResultsRoot);
        Assert.Equal("/var/lib/dataexchange-tasker/code", o.Sandbox.SnapshotRoot);
        Assert.Equal(1000, o.Sandbox.OutputFilesLimit);
        Assert.Equal("/var/run/docker.sock", o.DockerHost.SocketPath);
        Assert.Equal(2, o.Concurrency);
        Assert.Equal(3, o.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(60), o.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(300), o.CleanupGrace);
        Assert.Equal("127.0.0.1:9432", o.HttpBind);
        Assert.Equal("text", o.LogFormat);
        Assert.Equal("info", o.LogLevel);
        Assert.Null(o.OtlpEndpoint);
        Assert.Equal(Environment.MachineName, o.TaskerId);
    }

    [Fact]
    public void Load_ExplicitValues_AreParsed()
    {
        var o = TaskerOptionsLoader.Load(Values(
            ("TASKER_CONCURRENCY", " 8 "),
            ("TASKER_MEMORY_LIMIT", "1g"),
            ("TASKER_CPU_LIMIT", "0.5"),
            ("TASKER_KEEP_ALIVE", "yes"),
            ("TASKER_REQUIRE_CODE_HASH", "1"),
            ("TASKER_RUNTIME", "runsc"),
            ("TASKER_QUEUE_TYPE", "QUORUM"),
            ("TASKER_HTTP_BIND", "off"),
            ("TASKER_LOG_LEVEL", "debug"),
            ("TASKER_OTLP_ENDPOINT", "http://localhost:4317"),
            ("TASKER_ID", "host-a"),
            ("DOCKER_HOST", "tcp://10.0.0.2:2375"),
            ("TASKER_CODE_ROOT", _code + "/")));

        Assert.Equal(8, o.Concurrency);
        Assert.Equal(1L << 30, o.Sandbox.MemoryLimitBytes);
        Assert.Equal(0.5, o.Sandbox.CpuLimit);
        Assert.True(o.Sandbox.KeepAlive);
        Assert.True(o.Sandbox.RequireCodeHash);
        Assert.Equal("runsc", o.Sandbox.Runtime);
        Assert.Equal("quorum", o.Messaging.QueueType);
        Assert.Null(o.HttpBind);
        Assert.Equal("debug", o.LogLevel);
        Assert.Equal(new Uri("http://localhost:4317"), o.OtlpEndpoint);
        Assert.Equal("host-a", o.TaskerId);
        Assert.Null(o.DockerHost.SocketPath);
        Assert.Equal(new Uri("http://10.0.0.2:2375/"), o.DockerHost.BaseAddress);
        Assert.Equal(_code, o.Sandbox.CodeRoot);
    }

    [Fact]
    public void Load_BlankValue_MeansTheDefault()
    {
        var o = TaskerOptionsLoader.Load(Values(("TASKER_CONCURRENCY", "  "), ("TASKER_IMAGE", "")));

        Assert.Equal(2, o.Concurrency);
        Assert.Equal("dataexchange-tasker-runner:latest", o.Sandbox.Image);
    }

    [Theory]
    [InlineData("TASKER_CONCURRENCY", "zero", "TASKER_CONCURRENCY=\"zero\" is invalid: expected a whole number from 1 to 256")]
    [InlineData("TASKER_CONCURRENCY", "0", "TASKER_CONCURRENCY=\"0\" is invalid: expected a whole number from 1 to 256")]
    [InlineData("TASKER_CONCURRENCY", "257", "TASKER_CONCURRENCY=\"257\" is invalid: expected a whole number from 1 to 256")]
    [InlineData("TASKER_MAX_RETRIES", "-1", "TASKER_MAX_RETRIES=\"-1\" is invalid: expected a whole number from 0 to 100")]
    [InlineData("TASKER_PIDS_LIMIT", "4", "TASKER_PIDS_LIMIT=\"4\" is invalid: expected a whole number from 8 to 1000000")]
    [InlineData("TASKER_TASK_TIMEOUT", "1.5", "TASKER_TASK_TIMEOUT=\"1.5\" is invalid: expected a whole number from 1 to 604800")]
    [InlineData("TASKER_MEMORY_LIMIT", "lots", "TASKER_MEMORY_LIMIT=\"lots\" is invalid: expected a size of at least 6291456 bytes, like 512m, 1g or 1048576")]
    [InlineData("TASKER_MEMORY_LIMIT", "1m", "TASKER_MEMORY_LIMIT=\"1m\" is invalid: expected a size of at least 6291456 bytes")]
    [InlineData("TASKER_OUTPUT_LIMIT", "12", "TASKER_OUTPUT_LIMIT=\"12\" is invalid: expected a size of at least 1024 bytes")]
    [InlineData("TASKER_CPU_LIMIT", "0", "TASKER_CPU_LIMIT=\"0\" is invalid: expected a number above 0 and at most")]
    [InlineData("TASKER_CPU_LIMIT", "one", "TASKER_CPU_LIMIT=\"one\" is invalid: expected a number above 0")]
    [InlineData("TASKER_KEEP_ALIVE", "maybe", "TASKER_KEEP_ALIVE=\"maybe\" is invalid: expected true or false")]
    [InlineData("TASKER_QUEUE_TYPE", "stream", "TASKER_QUEUE_TYPE=\"stream\" is invalid: expected one of classic, quorum")]
    [InlineData("TASKER_LOG_FORMAT", "xml", "TASKER_LOG_FORMAT=\"xml\" is invalid: expected one of text, json")]
    [InlineData("TASKER_WITNESS", "ebpf", "TASKER_WITNESS=\"ebpf\" is invalid: expected one of auto, fanotify, off")]
    [InlineData("TASKER_LOG_LEVEL", "verbose", "TASKER_LOG_LEVEL=\"verbose\" is invalid: expected one of debug, info, warning, error")]
    [InlineData("TASKER_HTTP_BIND", "9432", "TASKER_HTTP_BIND=\"9432\" is invalid: expected host:port like 127.0.0.1:9432, or off")]
    [InlineData("TASKER_HTTP_BIND", "localhost:99999", "TASKER_HTTP_BIND=\"localhost:99999\" is invalid")]
    [InlineData("TASKER_OTLP_ENDPOINT", "localhost", "TASKER_OTLP_ENDPOINT=\"localhost\" is invalid: expected an absolute URI")]
    [InlineData("DOCKER_HOST", "npipe:////./pipe/docker", "DOCKER_HOST=\"npipe:////./pipe/docker\" is invalid: expected unix:///path/to/docker.sock or tcp://host:port")]
    [InlineData("TASKER_AMQP_URI", "http://broker:5672/", "TASKER_AMQP_URI=\"http://broker:5672/\" is invalid: expected an amqp:// or amqps:// URI")]
    [InlineData("TASKER_AMQP_URI", "not a uri", "TASKER_AMQP_URI=\"not a uri\" is invalid: expected an amqp:// or amqps:// URI")]
    public void Load_InvalidValue_ErrorNamesVariableValueAndExpectation(string name, string value, string expected)
    {
        var error = LoadFails((name, value));

        var line = Assert.Single(error.Errors);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingCodeRoot_SaysItIsNotSet()
    {
        var values = Values();
        values.Remove("TASKER_CODE_ROOT");

        var error = Assert.Throws<ConfigurationException>(() => TaskerOptionsLoader.Load(values));

        var line = Assert.Single(error.Errors);
        Assert.StartsWith("TASKER_CODE_ROOT is not set: expected Folder that codePath is relative to", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CodeRootThatDoesNotExist_IsRejected()
    {
        var missing = _temp.Combine("nope");

        var error = LoadFails(("TASKER_CODE_ROOT", missing));

        Assert.Equal($"TASKER_CODE_ROOT=\"{missing}\" is invalid: expected an existing folder", Assert.Single(error.Errors));
    }

    [Theory]
    [InlineData("TASKER_CODE_ROOT", "code")]
    [InlineData("TASKER_DATA_ROOT", "./data")]
    [InlineData("TASKER_WORK_ROOT", "work")]
    public void Load_RelativePath_IsRejected(string name, string value)
    {
        var error = LoadFails((name, value));

        Assert.Contains($"{name}=\"{value}\" is invalid: expected an absolute path", error.Errors);
    }

    [Theory]
    [InlineData("code/work")]
    [InlineData("data/tasks/work")]
    [InlineData("code")]
    public void Load_WorkRootInsideCodeOrDataRoot_IsRejected(string relative)
    {
        var work = _temp.Combine(relative);

        var error = LoadFails(("TASKER_WORK_ROOT", work));

        Assert.Equal($"TASKER_WORK_ROOT=\"{work}\" is invalid: expected a folder outside the code and data roots (the tasker's private state)", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WorkRootBesideCodeRootWithCommonPrefix_IsAccepted()
    {
        var work = _temp.Combine("code-work");

        var o = TaskerOptionsLoader.Load(Values(("TASKER_WORK_ROOT", work)));

        Assert.Equal(work, o.Sandbox.WorkRoot);
    }

    [Fact]
    public void Load_SeveralBadValues_ReportsEveryOneAtOnce()
    {
        var values = Values(("TASKER_CONCURRENCY", "zero"), ("TASKER_MEMORY_LIMIT", "huge"), ("TASKER_AMQP_URI", "http://x/"), ("TASKER_LOG_FORMAT", "xml"));
        values.Remove("TASKER_DATA_ROOT");

        var error = Assert.Throws<ConfigurationException>(() => TaskerOptionsLoader.Load(values));

        Assert.Equal(5, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("TASKER_CONCURRENCY=\"zero\"", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("TASKER_MEMORY_LIMIT=\"huge\"", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("TASKER_AMQP_URI=\"http://x/\"", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("TASKER_LOG_FORMAT=\"xml\"", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("TASKER_DATA_ROOT is not set", StringComparison.Ordinal));
        foreach (var line in error.Errors)
        {
            Assert.Contains("  " + line, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UnknownVariables_Typo_IsFound()
    {
        var unknown = TaskerOptionsLoader.UnknownVariables(["TASKER_CONCURENCY", "TASKER_CONCURRENCY", "PATH", "DOCKER_HOST", "TASKER_ID", "TASKER_AMQP_URL"]);

        Assert.Equal(["TASKER_AMQP_URL", "TASKER_CONCURENCY"], unknown);
    }

    [Fact]
    public void UnknownVariables_EverySetting_IsKnown()
    {
        Assert.Empty(TaskerOptionsLoader.UnknownVariables(Settings.All.Select(s => s.Name)));
    }

    [Fact]
    public void LoadMessaging_NoRootsAtAll_Succeeds()
    {
        var messaging = TaskerOptionsLoader.LoadMessaging(new Dictionary<string, string?>
        {
            ["TASKER_AMQP_URI"] = "amqps://u:p@broker.example:5671/vh",
            ["TASKER_TODO_QUEUE"] = "todo2",
        });

        Assert.Equal(new Uri("amqps://u:p@broker.example:5671/vh"), messaging.AmqpUri);
        Assert.Equal("todo2", messaging.TodoQueue);
        Assert.Equal("todo2.dead", messaging.DeadLetterQueue);
        Assert.Equal("tasker_done", messaging.DoneQueue);
    }

    [Fact]
    public void LoadMessaging_BadUri_Throws()
    {
        var error = Assert.Throws<ConfigurationException>(() => TaskerOptionsLoader.LoadMessaging(new Dictionary<string, string?> { ["TASKER_AMQP_URI"] = "amqp:///" }));

        Assert.StartsWith("TASKER_AMQP_URI=\"amqp:///\" is invalid", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadCleanup_NoRoots_ReadsEngine()
    {
        var (docker, _) = TaskerOptionsLoader.LoadCleanup(new Dictionary<string, string?>());

        Assert.Equal("/var/run/docker.sock", docker.SocketPath);
    }

    [Fact]
    public void Flag_SettingNames_BecomeKebabCaseFlags()
    {
        Assert.Equal("--code-root", Settings.CodeRoot.Flag);
        Assert.Equal("--docker-host", Settings.DockerHost.Flag);
        Assert.Equal("--require-code-hash", Settings.RequireCodeHash.Flag);
    }

    [Fact]
    public void All_SettingNames_AreUnique()
    {
        Assert.Equal(Settings.All.Count, Settings.All.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("TASKER_RESULTS_ROOT", "code/results", "a folder outside the code and data roots (task outputs are stored there)")]
    [InlineData("TASKER_SNAPSHOT_ROOT", "data/snapshots", "a folder outside the code and data roots")]
    public void Load_ResultsOrSnapshotRootInsideCodeOrDataRoot_IsRejected(string name, string relative, string expected)
    {
        var path = _temp.Combine(relative);

        var error = LoadFails((name, path));

        Assert.Equal($"{name}=\"{path}\" is invalid: expected {expected}", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_OutputSettings_AreRead()
    {
        var o = TaskerOptionsLoader.Load(Values(("TASKER_RESULTS_ROOT", "/srv/results/"), ("TASKER_SNAPSHOT_ROOT", "/srv/code-snapshots"), ("TASKER_OUTPUT_FILES_LIMIT", "5")));

        Assert.Equal("/srv/results", o.Sandbox.ResultsRoot);
        Assert.Equal("/srv/code-snapshots", o.Sandbox.SnapshotRoot);
        Assert.Equal(5, o.Sandbox.OutputFilesLimit);
    }

    [Fact]
    public void Load_OnlyRoots_DependencyDefaultsAreImageOnly()
    {
        var d = TaskerOptionsLoader.Load(Values()).Dependencies;

        Assert.Equal("/var/lib/dataexchange-tasker/deps", d.Root);
        Assert.Null(d.Wheelhouse);
        Assert.Null(d.IndexUrl);
        Assert.Null(d.Network);
        Assert.Equal(TimeSpan.FromSeconds(300), d.Timeout);
        Assert.Equal(512L * 1024 * 1024, d.SizeLimitBytes);
        Assert.Equal(DependencySource.ImageOnly, d.Source);
        Assert.Equal(DependencyOptions.Default, d);
    }

    [Fact]
    public void Load_Wheelhouse_IsReadAsTheSource()
    {
        var wheels = _temp.CreateFolder("wheels");

        var d = TaskerOptionsLoader.Load(Values(("TASKER_WHEELHOUSE", wheels + "/"), ("TASKER_DEPS_ROOT", _temp.Combine("deps")), ("TASKER_PIP_TIMEOUT", "60"), ("TASKER_DEPS_SIZE_LIMIT", "2g"))).Dependencies;

        Assert.Equal(wheels, d.Wheelhouse);
        Assert.Equal(DependencySource.Wheelhouse, d.Source);
        Assert.Equal(_temp.Combine("deps"), d.Root);
        Assert.Equal(TimeSpan.FromSeconds(60), d.Timeout);
        Assert.Equal(2L << 30, d.SizeLimitBytes);
    }

    [Fact]
    public void Load_IndexWithNetwork_IsReadAsTheSource()
    {
        var d = TaskerOptionsLoader.Load(Values(("TASKER_PIP_INDEX_URL", "http://mirror:3141/simple"), ("TASKER_PIP_NETWORK", "tasker-pip"))).Dependencies;

        Assert.Equal(new Uri("http://mirror:3141/simple"), d.IndexUrl);
        Assert.Equal("tasker-pip", d.Network);
        Assert.Equal(DependencySource.Index, d.Source);
    }

    [Fact]
    public void Load_WheelhouseAndIndex_FailsNamingTheIndexSetting()
    {
        var wheels = _temp.CreateFolder("wheels");

        var error = LoadFails(("TASKER_WHEELHOUSE", wheels), ("TASKER_PIP_INDEX_URL", "http://mirror:3141/simple"), ("TASKER_PIP_NETWORK", "tasker-pip"));

        var line = Assert.Single(error.Errors);
        Assert.StartsWith("TASKER_PIP_INDEX_URL=\"http://mirror:3141/simple\" is invalid", line, StringComparison.Ordinal);
        Assert.Contains("TASKER_WHEELHOUSE", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_IndexWithoutNetwork_FailsNamingTheNetworkSetting()
    {
        var error = LoadFails(("TASKER_PIP_INDEX_URL", "http://mirror:3141/simple"));

        var line = Assert.Single(error.Errors);
        Assert.StartsWith("TASKER_PIP_NETWORK is not set: expected", line, StringComparison.Ordinal);
        Assert.Contains("internal Docker network", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NetworkWithoutIndex_FailsNamingTheNetworkSetting()
    {
        var error = LoadFails(("TASKER_PIP_NETWORK", "tasker-pip"));

        var line = Assert.Single(error.Errors);
        Assert.StartsWith("TASKER_PIP_NETWORK=\"tasker-pip\" is invalid", line, StringComparison.Ordinal);
        Assert.Contains("TASKER_PIP_INDEX_URL", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://mirror/simple")]
    [InlineData("file:///srv/index")]
    [InlineData("mirror:3141/simple")]
    [InlineData("/srv/index")]
    public void Load_IndexUrlNotHttp_FailsNamingTheSetting(string url)
    {
        var error = LoadFails(("TASKER_PIP_INDEX_URL", url), ("TASKER_PIP_NETWORK", "tasker-pip"));

        Assert.Contains(error.Errors, e => e.StartsWith($"TASKER_PIP_INDEX_URL=\"{url}\" is invalid: expected an http:// or https:// URL", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_WheelhouseThatDoesNotExist_FailsNamingTheSetting()
    {
        var missing = _temp.Combine("no-wheels");

        var error = LoadFails(("TASKER_WHEELHOUSE", missing));

        Assert.Equal($"TASKER_WHEELHOUSE=\"{missing}\" is invalid: expected an existing folder", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WheelhouseReachingIntoDataRootThroughDotDotOrALink_IsRejected()
    {
        _temp.CreateFolder("data/wheels");
        var viaDots = Path.Combine(_code, "..", "data", "wheels");
        var viaLink = _temp.Combine("wheels-link");
        Directory.CreateSymbolicLink(viaLink, Path.Combine(_data, "wheels"));

        foreach (var wheels in new[] { viaDots, viaLink })
        {
            var error = LoadFails(("TASKER_WHEELHOUSE", wheels));

            Assert.Contains("expected a folder outside the data root", Assert.Single(error.Errors), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_DepsRootNotYetCreatedBelowALinkIntoCodeRoot_IsRejected()
    {
        var link = _temp.Combine("state-link");
        Directory.CreateSymbolicLink(link, _code);

        var error = LoadFails(("TASKER_DEPS_ROOT", Path.Combine(link, "deps")));

        Assert.Contains("TASKER_DEPS_ROOT", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data/wheels")]
    [InlineData("data")]
    public void Load_WheelhouseInsideDataRoot_IsRejected(string relative)
    {
        var wheels = _temp.CreateFolder(relative);

        var error = LoadFails(("TASKER_WHEELHOUSE", wheels));

        Assert.Equal($"TASKER_WHEELHOUSE=\"{wheels}\" is invalid: expected a folder outside the data root (the preparation container never sees data)", Assert.Single(error.Errors));
    }

    [Theory]
    [InlineData("code/deps")]
    [InlineData("code")]
    [InlineData("data/deps")]
    public void Load_DepsRootInsideCodeOrDataRoot_IsRejected(string relative)
    {
        var deps = _temp.Combine(relative);

        var error = LoadFails(("TASKER_DEPS_ROOT", deps));

        Assert.Equal($"TASKER_DEPS_ROOT=\"{deps}\" is invalid: expected a folder outside the code and data roots", Assert.Single(error.Errors));
    }

    [Theory]
    [InlineData("TASKER_PIP_TIMEOUT", "9", "a whole number from 10 to 86400")]
    [InlineData("TASKER_PIP_TIMEOUT", "soon", "a whole number from 10 to 86400")]
    [InlineData("TASKER_DEPS_SIZE_LIMIT", "1k", "a size of at least 1048576 bytes")]
    [InlineData("TASKER_DEPS_ROOT", "deps", "an absolute path")]
    public void Load_BadDependencyValue_FailsNamingTheSetting(string name, string value, string expected)
    {
        var error = LoadFails((name, value));

        Assert.StartsWith($"{name}=\"{value}\" is invalid: expected {expected}", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void All_DependencySettings_AreListed()
    {
        Assert.Equal(
            ["TASKER_DEPS_ROOT", "TASKER_WHEELHOUSE", "TASKER_PIP_INDEX_URL", "TASKER_PIP_NETWORK", "TASKER_PIP_TIMEOUT", "TASKER_DEPS_SIZE_LIMIT"],
            Settings.All.Select(s => s.Name).Where(n => n.Contains("DEPS", StringComparison.Ordinal) || n.Contains("PIP", StringComparison.Ordinal) || n.Contains("WHEEL", StringComparison.Ordinal)));
    }
}
