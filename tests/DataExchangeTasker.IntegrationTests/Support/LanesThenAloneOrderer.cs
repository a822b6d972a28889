using DataExchangeTasker.IntegrationTests.Cli;
using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("DataExchangeTasker.IntegrationTests.Support.LanesThenAloneOrderer", "DataExchangeTasker.IntegrationTests")]

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// xunit's order of collections (by unique id), except that the operator command collection comes last. The
/// collections that run alone run one after another once the parallel lanes ended; the operator command tests first wait
/// for another test process (<see cref="OtherTestProcessWait"/>), and the api's schedule tests, which need no such
/// wait, ran behind that wait when xunit's order put them second (a full run: 28 s later than they could).
/// </summary>
public sealed class LanesThenAloneOrderer : ITestCollectionOrderer
{
    /// <inheritdoc />
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.DisplayName.EndsWith(OperatorCommandCollection.Name, StringComparison.Ordinal) ? 1 : 0).ThenBy(c => c.UniqueID);
}
