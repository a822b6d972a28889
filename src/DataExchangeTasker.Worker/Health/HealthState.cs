namespace DataExchangeTasker.Health;

/// <summary>What the tasker knows about its dependencies right now; read by the HTTP endpoints.</summary>
public sealed class HealthState(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ComponentHealth> _components = new(StringComparer.Ordinal);

    /// <summary>Names of the components reported.</summary>
    public const string Broker = "broker";
    public const string Engine = "engine";
    public const string Image = "image";
    public const string Consumer = "consumer";

    /// <summary>The results root (<c>TASKER_RESULTS_ROOT</c>): down while it cannot be written (full, read-only).</summary>
    public const string Results = "results";

    /// <summary>True once shutdown began: no new tasks are taken.</summary>
    public bool Draining { get; set; }

    /// <summary>When the process started, for uptime.</summary>
    public DateTimeOffset StartedAt { get; } = (time ?? TimeProvider.System).GetUtcNow();

    /// <summary>How long since <see cref="StartedAt"/>, on the same clock.</summary>
    public TimeSpan Uptime => _time.GetUtcNow() - StartedAt;

    /// <summary>Records a component's state; keeps the last error after it recovers.</summary>
    public void Report(string component, bool up, string? detail = null)
    {
        lock (_gate)
        {
            _components.TryGetValue(component, out var previous);
            _components[component] = new ComponentHealth(
                up, detail, _time.GetUtcNow(),
                up ? previous?.LastError : detail ?? "down",
                up ? previous?.LastErrorAt : _time.GetUtcNow());
        }
    }

    /// <summary>A copy of every component's state.</summary>
    public IReadOnlyDictionary<string, ComponentHealth> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, ComponentHealth>(_components, StringComparer.Ordinal);
        }
    }

    /// <summary>Is <paramref name="component"/> known and up?</summary>
    public bool IsUp(string component)
    {
        lock (_gate)
        {
            return _components.TryGetValue(component, out var c) && c.Up;
        }
    }

    /// <summary>False only while a component was reported down (unknown counts as up, e.g. before the first check).</summary>
    public bool IsNotDown(string component)
    {
        lock (_gate)
        {
            return !_components.TryGetValue(component, out var c) || c.Up;
        }
    }

    /// <summary>Ready to take tasks: broker, engine and image up, consuming, results root writable, not draining.</summary>
    public bool IsReady => !Draining && IsUp(Broker) && IsUp(Engine) && IsUp(Image) && IsUp(Consumer) && IsNotDown(Results);
}

/// <summary>One component's state and its last error.</summary>
public sealed record ComponentHealth(bool Up, string? Detail, DateTimeOffset CheckedAt, string? LastError, DateTimeOffset? LastErrorAt);
