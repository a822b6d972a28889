using System.Collections.Concurrent;

namespace DataExchangeTasker.Api;

/// <summary>Counters of this api process (the per-client task counts come from the store at scrape time).</summary>
internal sealed class ApiMetrics
{
    private readonly ConcurrentDictionary<int, long> _responses = new();
    private readonly ConcurrentDictionary<string, long> _submitted = new(StringComparer.Ordinal);
    private long _doneStored;
    private long _doneDuplicates;
    private long _doneUnusable;
    private long _progress;
    private long _published;
    private long _publishFailures;
    private long _scheduleFirings;
    private long _scheduleSkips;
    private long _doneUnknown;
    private long _unanswered;

    public void Response(int status) => _responses.AddOrUpdate(status, 1, (_, n) => n + 1);

    public void Submitted(string clientId) => _submitted.AddOrUpdate(clientId, 1, (_, n) => n + 1);

    public void DoneStored() => Interlocked.Increment(ref _doneStored);

    public void DoneDuplicate() => Interlocked.Increment(ref _doneDuplicates);

    public void DoneUnusable() => Interlocked.Increment(ref _doneUnusable);

    public void Progress() => Interlocked.Increment(ref _progress);

    public void Published(int count = 1) => Interlocked.Add(ref _published, count);

    public void PublishFailed() => Interlocked.Increment(ref _publishFailures);

    public void ScheduleFired() => Interlocked.Increment(ref _scheduleFirings);

    public void ScheduleSkipped() => Interlocked.Increment(ref _scheduleSkips);

    public void DoneUnknown() => Interlocked.Increment(ref _doneUnknown);

    public void Unanswered(int count) => Interlocked.Add(ref _unanswered, count);

    public IReadOnlyDictionary<int, long> Responses => _responses;

    public IReadOnlyDictionary<string, long> SubmittedByClient => _submitted;

    public long DoneStoredCount => Interlocked.Read(ref _doneStored);

    public long DoneDuplicateCount => Interlocked.Read(ref _doneDuplicates);

    public long DoneUnusableCount => Interlocked.Read(ref _doneUnusable);

    public long ProgressCount => Interlocked.Read(ref _progress);

    public long PublishedCount => Interlocked.Read(ref _published);

    public long PublishFailureCount => Interlocked.Read(ref _publishFailures);

    public long ScheduleFiringCount => Interlocked.Read(ref _scheduleFirings);

    public long ScheduleSkipCount => Interlocked.Read(ref _scheduleSkips);

    public long DoneUnknownCount => Interlocked.Read(ref _doneUnknown);

    public long UnansweredCount => Interlocked.Read(ref _unanswered);
}
