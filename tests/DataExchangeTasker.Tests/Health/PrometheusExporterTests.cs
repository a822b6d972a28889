using DataExchangeTasker.Health;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Health;

public sealed class PrometheusExporterTests : IDisposable
{
    private readonly TaskMetrics _metrics = new();
    private readonly PrometheusExporter _exporter;

    public PrometheusExporterTests()
    {
        _exporter = new PrometheusExporter(_metrics.Meter);
    }

    public void Dispose()
    {
        _exporter.Dispose();
        _metrics.Dispose();
    }

    private static DoneMessage Ran(string state, string? reason, long durationMs) =>
        new("t", state, "", new ContainerOutput("", "", ""), 0, reason, durationMs);

    private static string[] Lines(string text) => text.Split('\n');

    [Fact]
    public void Render_AfterOneSuccess_CountsItWithSortedLabels()
    {
        _metrics.Completed(Ran(TaskStates.Success, null, 1500));

        var text = _exporter.Render();

        Assert.Contains("tasker_tasks_total{reason=\"none\",state=\"success\"} 1", Lines(text));
        Assert.Contains("# TYPE tasker_tasks counter", Lines(text));
        Assert.Contains("# HELP tasker_tasks Done messages published, by state and reason.", Lines(text));
    }

    [Fact]
    public void Render_SeveralOutcomes_SumsPerLabelSet()
    {
        _metrics.Completed(Ran(TaskStates.Success, null, 10));
        _metrics.Completed(Ran(TaskStates.Success, null, 10));
        _metrics.Completed(Ran(TaskStates.Error, Reasons.ExitCode, 10));
        _metrics.Completed(DoneMessage.Rejected("t", Reasons.PathNotFound, "x"));

        var lines = Lines(_exporter.Render());

        Assert.Contains("tasker_tasks_total{reason=\"none\",state=\"success\"} 2", lines);
        Assert.Contains("tasker_tasks_total{reason=\"exit_code\",state=\"error\"} 1", lines);
        Assert.Contains("tasker_tasks_total{reason=\"path_not_found\",state=\"rejected\"} 1", lines);
    }

    [Fact]
    public void Render_TaskDuration_IsACumulativeHistogramInSeconds()
    {
        _metrics.Completed(Ran(TaskStates.Success, null, 1500));
        _metrics.Completed(Ran(TaskStates.Success, null, 40));

        var lines = Lines(_exporter.Render());

        Assert.Contains("# TYPE tasker_task_duration_seconds histogram", lines);
        Assert.Contains("tasker_task_duration_seconds_bucket{le=\"0.025\"} 0", lines);
        Assert.Contains("tasker_task_duration_seconds_bucket{le=\"0.05\"} 1", lines);
        Assert.Contains("tasker_task_duration_seconds_bucket{le=\"1\"} 1", lines);
        Assert.Contains("tasker_task_duration_seconds_bucket{le=\"2.5\"} 2", lines);
        Assert.Contains("tasker_task_duration_seconds_bucket{le=\"1800\"} 2", lines);
        Assert.Contains("tasker_task_duration_seconds_bucket{le=\"+Inf\"} 2", lines);
        Assert.Contains("tasker_task_duration_seconds_sum 1.54", lines);
        Assert.Contains("tasker_task_duration_seconds_count 2", lines);
    }

    [Fact]
    public void Render_RejectedTask_RecordsNoDuration()
    {
        _metrics.Completed(DoneMessage.Rejected("t", Reasons.InvalidMessage, "x"));

        var text = _exporter.Render();

        Assert.DoesNotContain("tasker_task_duration_seconds_count", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_InFlight_IsAGaugeThatGoesUpAndDown()
    {
        _metrics.InFlight(1);
        _metrics.InFlight(1);
        _metrics.InFlight(-1);

        var lines = Lines(_exporter.Render());

        Assert.Contains("# TYPE tasker_tasks_in_flight gauge", lines);
        Assert.Contains("tasker_tasks_in_flight 1", lines);
    }

    [Fact]
    public void Render_DeadLettered_IsCounted()
    {
        _metrics.DeadLettered();

        Assert.Contains("tasker_dead_lettered_total 1", Lines(_exporter.Render()));
    }

    [Fact]
    public void Render_ContainerStart_IsAHistogram()
    {
        _metrics.ContainerStarted(TimeSpan.FromMilliseconds(200));

        var lines = Lines(_exporter.Render());

        Assert.Contains("tasker_container_start_seconds_bucket{le=\"0.1\"} 0", lines);
        Assert.Contains("tasker_container_start_seconds_bucket{le=\"0.25\"} 1", lines);
        Assert.Contains("tasker_container_start_seconds_count 1", lines);
    }

    [Fact]
    public void Render_OtherMeters_AreNotExported()
    {
        using var other = new TaskMetrics();
        other.DeadLettered();

        Assert.DoesNotContain("tasker_dead_lettered_total 1", _exporter.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Extra_IsAppended()
    {
        var text = _exporter.Render(t => PrometheusExporter.Sample(t, "tasker_ready", "", 1));

        Assert.EndsWith("tasker_ready 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_LabelsAndValue_AreFormattedInvariantly()
    {
        var text = new System.Text.StringBuilder();

        PrometheusExporter.Sample(text, "m", "a=\"b\"", 0.5);

        Assert.Equal("m{a=\"b\"} 0.5\n", text.ToString());
    }
}
