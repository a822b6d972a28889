using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using DataExchangeTasker.Images;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Preparation;
using Serilog;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// Makes a task's <c>requirements.txt</c> ready before its run (docs/requirements-design.md): checks its lines, then
/// finds the installed folder in the cache, or installs it once in a preparation container. Tasks asking for the same
/// requirements at the same time await one install (in this process by a shared task, across processes by a lock
/// file); an install that a waiting task gives up on goes on for the others. Failures are not cached: the next task
/// tries again. Only Python images (entry <c>*.py</c>) and code folders take part.
/// </summary>
internal sealed class DependencyPreparer : IDisposable
{
    private readonly IDockerEngine _docker;
    private readonly SandboxOptions _sandbox;
    private readonly DependencyOptions _options;
    private readonly ClaimedContainers _active;
    private readonly ILogger _log;
    private readonly DependencyCache _cache;
    private readonly PreparationSpecFactory _specs;
    private readonly PreparationContainer _container;
    private readonly ConcurrentDictionary<string, Lazy<Task<DependencyResult>>> _inflight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskMetrics? _metrics;
    private readonly TimeProvider _time;

    /// <summary>
    /// Creates the preparer; <paramref name="active"/> holds each preparation container's name while it is in use, so
    /// no sweep removes it; <paramref name="metrics"/> counts installs (<c>tasker_dependency_installs_total</c>);
    /// <paramref name="time"/> is the clock of the cache's lock waits and of the install stamp (the system's when null).
    /// </summary>
    public DependencyPreparer(IDockerEngine docker, SandboxOptions sandbox, DependencyOptions options, string taskerId, ClaimedContainers active, ILogger log, TaskMetrics? metrics = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _docker = docker;
        _sandbox = sandbox;
        _options = options;
        _active = active;
        _log = log;
        _cache = new DependencyCache(options.Root, _time);
        _specs = new PreparationSpecFactory(sandbox, options, taskerId);
        _container = new PreparationContainer(docker, _specs, sandbox, options, log) { Time = _time };
    }

    /// <summary>The cache of installed requirements.</summary>
    public DependencyCache Cache => _cache;

    /// <summary>
    /// Ready (with the folder to mount, or none), or failed with the reason for the done message. Engine failures
    /// surface as <see cref="DockerApiException"/> (the caller retries them like any engine failure).
    /// </summary>
    public async Task<DependencyResult> PrepareAsync(PreparedTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var entry = task.Image?.Entry ?? ImageLabels.DefaultEntry;
        var requirementsFile = Path.Combine(task.Snapshot.MountSource, RequirementsCheck.FileName);
        if (!task.Code.IsDirectory || !entry.EndsWith(".py", StringComparison.Ordinal) || NativeFiles.KindOf(requirementsFile) != FileKind.Regular)
        {
            return DependenciesReady.None;
        }

        // The snapshot is sealed and content-addressed: these are the bytes that were hashed and approved.
        var requirements = await File.ReadAllBytesAsync(requirementsFile, cancellationToken).ConfigureAwait(false);
        if (RequirementsCheck.FindRefusal(requirements) is { } refusal)
        {
            return new DependenciesFailed(refusal + " The code did not run.");
        }

        var imageId = task.Image?.Id ?? await DefaultImageIdAsync(cancellationToken).ConfigureAwait(false);
        var source = DependencyKey.DescribeSource(_options);
        var key = DependencyKey.Of(requirements, imageId, source);
        if (_cache.Find(key) is { } site)
        {
            return new DependenciesReady(site);
        }

        var inputs = new DependencyKeyRecord(key, Convert.ToHexStringLower(SHA256.HashData(requirements)), imageId, source, default);
        var shared = _inflight.GetOrAdd(key, k => new Lazy<Task<DependencyResult>>(
            () => InstallSharedAsync(inputs, requirementsFile), LazyThreadSafetyMode.ExecutionAndPublication));
        return await shared.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops installs still running (at shutdown); their containers are removed.</summary>
    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    private async Task<DependencyResult> InstallSharedAsync(DependencyKeyRecord inputs, string requirementsFile)
    {
        // Off the caller's stack and token: one waiting task giving up must not stop the install the others wait for.
        await Task.Yield();
        try
        {
            return await InstallAsync(inputs, requirementsFile, _lifetime.Token).ConfigureAwait(false);
        }
        finally
        {
            _inflight.TryRemove(inputs.Key, out _);
        }
    }

    private async Task<DependencyResult> InstallAsync(DependencyKeyRecord inputs, string requirementsFile, CancellationToken cancellationToken)
    {
        var key = inputs.Key;
        // Another tasker sharing this root may be installing the same key: its install serves this one too.
        using var fileLock = await _cache.LockAsync(key, _options.Timeout + TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        if (_cache.Find(key) is { } site)
        {
            return new DependenciesReady(site);
        }

        using var claim = await _active.ClaimAsync(_specs.NameFor(key), cancellationToken).ConfigureAwait(false);
        var staging = _cache.NewStaging(key);
        var began = _time.GetTimestamp();
        try
        {
            var outcome = await _container.InstallAsync(key, requirementsFile, inputs.ImageId, staging, cancellationToken).ConfigureAwait(false);
            _metrics?.DependencyInstall(outcome.Failure is null);
            if (outcome.Failure is { } failure)
            {
                _log.Warning("requirements.txt {Key:l} not installed after {Seconds:0.0} s: {Failure:l}", key[..16], _time.GetElapsedTime(began).TotalSeconds, failure);
                return new DependenciesFailed(failure + "\n" + Tail(outcome.PipOutput, _sandbox.OutputLimitBytes));
            }

            var keyJson = JsonSerializer.Serialize(inputs with { InstalledAt = _time.GetUtcNow() }, DependencyJsonContext.Default.DependencyKeyRecord);
            var published = _cache.Publish(staging, key, outcome.PipOutput, keyJson);
            _log.Information("requirements.txt {Key:l} installed in {Seconds:0.0} s; cached at {Site:l}", key[..16], _time.GetElapsedTime(began).TotalSeconds, published);
            return new DependenciesReady(published);
        }
        finally
        {
            DependencyCache.Discard(staging);
        }
    }

    private async Task<string> DefaultImageIdAsync(CancellationToken cancellationToken)
    {
        var image = await _docker.InspectImageAsync(_sandbox.Image, cancellationToken).ConfigureAwait(false);
        return image?.ID ?? throw new DockerApiException("GET /images/{name}/json", System.Net.HttpStatusCode.NotFound, $"the runner image {_sandbox.Image} is missing");
    }

    /// <summary>The last <paramref name="maxBytes"/> of <paramref name="text"/> (pip's error is at its end).</summary>
    private static string Tail(string text, long maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var start = text.Length - (int)Math.Min(text.Length, maxBytes);
        while (start < text.Length && Encoding.UTF8.GetByteCount(text.AsSpan(start)) > maxBytes - 64)
        {
            start += 256;
        }

        return "[… earlier pip output cut …]\n" + text[Math.Min(start, text.Length)..];
    }
}
