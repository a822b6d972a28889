using System.Diagnostics.Metrics;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Health;

/// <summary>The tasker's instruments on <see cref="System.Diagnostics.Metrics"/>; exported at <c>/metrics</c>.</summary>
public sealed class TaskMetrics : IDisposable
{
    /// <summary>Name of the meter, for listeners and OpenTelemetry.</summary>
    public const string MeterName = "DataExchangeTasker";

    private readonly Meter _meter = new(MeterName, ThisAssembly.Version);
    private readonly Counter<long> _tasks;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _containerStart;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _replyFailures;
    private readonly Counter<long> _engineOutages;
    private readonly Counter<long> _answersTrimmed;
    private readonly Counter<long> _dependencyInstalls;

    public TaskMetrics()
    {
        _tasks = _meter.CreateCounter<long>("tasker_tasks", description: "Done messages published, by state and reason.");
        _deadLettered = _meter.CreateCounter<long>("tasker_dead_lettered", description: "Start messages moved to the dead-letter queue.");
        _duration = _meter.CreateHistogram<double>("tasker_task_duration_seconds", unit: "s", description: "Container run time of tasks that ran.");
        _containerStart = _meter.CreateHistogram<double>("tasker_container_start_seconds", unit: "s", description: "Time from create to started container.");
        _inFlight = _meter.CreateUpDownCounter<long>("tasker_tasks_in_flight", description: "Tasks being processed now.");
        _replyFailures = _meter.CreateCounter<long>("tasker_reply_failures", description: "Copies of done messages to a reply_to queue given up after bounded retries (the answer is on the done queue).");
        _engineOutages = _meter.CreateCounter<long>("tasker_engine_outages", description: "Times the Docker engine became unreachable (intake paused until it answered again).");
        _answersTrimmed = _meter.CreateCounter<long>("tasker_answers_trimmed", description: "Done messages whose streams were cut further to fit the broker's message size limit.");
        _dependencyInstalls = _meter.CreateCounter<long>("tasker_dependency_installs", description: "Preparation containers that installed a requirements.txt (result installed) or could not (result failed); cache hits are not counted.");
    }

    /// <summary>The meter, for exporters.</summary>
    public Meter Meter => _meter;

    /// <summary>Counts a published done message.</summary>
    public void Completed(DoneMessage done)
    {
        _tasks.Add(1, new("state", done.State), new("reason", done.Reason ?? "none"));
        if (done.ContainerOutput is not null)
        {
            _duration.Record(done.DurationMs / 1000.0);
        }
    }

    /// <summary>Counts a dead-lettered message.</summary>
    public void DeadLettered() => _deadLettered.Add(1);

    /// <summary>Records how long a container took to start.</summary>
    public void ContainerStarted(TimeSpan latency) => _containerStart.Record(latency.TotalSeconds);

    /// <summary>A task entered (+1) or left (-1) processing.</summary>
    public void InFlight(int delta) => _inFlight.Add(delta);

    /// <summary>Counts a reply_to copy that was given up.</summary>
    public void ReplyFailed() => _replyFailures.Add(1);

    /// <summary>Counts the engine becoming unreachable.</summary>
    public void EngineOutage() => _engineOutages.Add(1);

    /// <summary>Counts a done message trimmed to fit the message size limit.</summary>
    public void AnswerTrimmed() => _answersTrimmed.Add(1);

    /// <summary>Counts one preparation container's install of a requirements.txt.</summary>
    public void DependencyInstall(bool installed) => _dependencyInstalls.Add(1, new KeyValuePair<string, object?>("result", installed ? "installed" : "failed"));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
