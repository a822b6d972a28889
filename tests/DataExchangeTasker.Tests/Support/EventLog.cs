using System.Collections.Concurrent;

namespace DataExchangeTasker.Tests.Support;

/// <summary>What the fakes of one test did, in order, across fakes.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<string> _events = new();

    /// <summary>The events so far.</summary>
    public IReadOnlyList<string> Events => [.. _events];

    /// <summary>Appends one event.</summary>
    public void Add(string name) => _events.Enqueue(name);
}
