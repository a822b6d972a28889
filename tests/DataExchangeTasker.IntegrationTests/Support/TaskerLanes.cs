using System.Diagnostics.CodeAnalysis;

namespace DataExchangeTasker.IntegrationTests.Support;

// The lanes of the integration tests. Each collection has a TaskerFixture (temp roots, and the test process's one
// SharedBroker) of its own; its tests run one after another, and the lanes run beside each other (and beside the api
// lane), so a lane that mostly waits (a broker restart, a drain, a sweep) overlaps with one that runs containers.
// Tests of different lanes share the engine and the broker: each tasker has its own id, queues and roots, a test that
// counts containers counts only its own tasker's (by the owner label), and a test that stops or reconfigures a broker
// starts its own. What acts on every tasker's containers (tasker cleanup) has a lane that runs alone.

/// <summary>The general lane: running tasks end to end, the message formats, control, the command line.</summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class TaskerCollection : ICollectionFixture<TaskerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "tasker";
}

/// <summary>
/// The sandbox lane: the sealed sandbox, hostile tasks, the evasion battery, the witness, and what a task's container
/// can do to its outputs. These are also the tests the gVisor lane runs a second time.
/// </summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class SandboxCollection : ICollectionFixture<TaskerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "sandbox";
}

/// <summary>
/// The outage lane: brokers restarted and frozen, engines gone or hung, replies refused, the readiness probe across a
/// broker outage. Mostly waiting on a broker or the engine, so it overlaps well with the others.
/// </summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class OutageCollection : ICollectionFixture<TaskerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "outages";
}

/// <summary>
/// The restart lane: taskers killed (-9) and drained (SIGTERM) with tasks running, redeliveries adopting running
/// containers, competing consumers, containers kept alive. Apart from the outage lane (it was its second half: 111 of
/// its 266 s), on a broker of its own.
/// </summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class RestartCollection : ICollectionFixture<TaskerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "restarts";
}

/// <summary>
/// The witness lane: the fanotify witness across many tasks (its 200-task run alone takes 80 s), apart from the
/// sandbox lane so the two long lanes overlap.
/// </summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class WitnessCollection : ICollectionFixture<TaskerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "witness";
}

/// <summary>
/// The cluster lane: scale-out over a broker cluster and a second engine, installed requirements, governance (audit
/// log, receipts, approvals).
/// </summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class ClusterCollection : ICollectionFixture<TaskerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "cluster";
}
