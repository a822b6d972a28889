using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// <c>traceSummary.witness</c>: what the second witness, outside the sandbox, saw the task open. Either
/// <c>{"method": "fanotify", "dataRead": [...], "capped": false, "unattributed": 0, "runtimeOpens": 0,
/// "eventsLost": false, "standsIn": false}</c> (the host kernel reported every open of the marked data) or
/// <c>{"method": "off", "why": "..."}</c>. Members that do not apply to the method are left out.
/// </summary>
/// <param name="Method"><see cref="Fanotify"/> or <see cref="Off"/>.</param>
public sealed record WitnessSummary(string Method)
{
    /// <summary>The host kernel's fanotify reported every open of the task's data.</summary>
    public const string Fanotify = "fanotify";

    /// <summary>No witness watched this run (<see cref="Why"/> says why).</summary>
    public const string Off = "off";

    /// <summary>
    /// Distinct data paths the task's processes opened or read, as the container sees them (<c>/tmp/data/...</c>,
    /// the form of <see cref="TraceSummary.DataRead"/>), sorted, at most <c>TraceSummaryBuilder.MaxEntries</c>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? DataRead { get; init; }

    /// <summary>
    /// True when <see cref="DataRead"/> was cut, or the witness could not watch everything: more distinct files than it
    /// keeps, or more folders than it marks.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Capped { get; init; }

    /// <summary>
    /// Opens the witness could not pin on one task (the process was gone, and the mount it used was not yet known):
    /// each is counted for every task on that data the witness could not rule out.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Unattributed { get; init; }

    /// <summary>Opens by the container's own root processes (the supervisor, strace), not the code's; not in <see cref="DataRead"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RuntimeOpens { get; init; }

    /// <summary>The kernel dropped events while this task ran (its queue overflowed): the list may miss opens.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? EventsLost { get; init; }

    /// <summary>
    /// The node's trace filter (<c>TASKER_STRACE_FILTER</c>) does not record opens, so the trace's <c>dataRead</c>
    /// cannot list them: this list stands in for it instead of being compared with it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? StandsIn { get; init; }

    /// <summary>For <see cref="Off"/>: why no witness watched.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Why { get; init; }

    /// <summary>
    /// Every distinct path the witness kept (up to its own cap), for comparing with the trace when
    /// <see cref="DataRead"/> was cut. Internal: not part of the message (the worker sees it through InternalsVisibleTo).
    /// </summary>
    internal IReadOnlySet<string>? DataReadAll { get; init; }

    /// <summary>A witness that did not watch, saying why.</summary>
    public static WitnessSummary NotWatched(string why) => new(Off) { Why = why };
}
