using DataExchangeTasker.Sandbox.Collection;

namespace DataExchangeTasker.Tests.Sandbox.Collection;

public sealed class SupervisorManifestTests
{
    [Fact]
    public void Parse_ManifestOfACompletedRun_ReadsEveryField()
    {
        var manifest = SupervisorManifest.Parse("version=1\nstatus=137\ntrace_complete=1\ntimed_out=1\npath_changed=0\nsurvivors=0\n");

        Assert.Equal(new SupervisorManifest(137, TraceComplete: true, TimedOut: true, PathChanged: false, Survivors: false), manifest);
    }

    [Fact]
    public void Parse_CodeNeverRan_StatusIsNull()
    {
        var manifest = SupervisorManifest.Parse("version=1\nstatus=\ntrace_complete=1\ntimed_out=0\npath_changed=1\nsurvivors=0\n");

        Assert.Null(manifest.Status);
        Assert.True(manifest.PathChanged);
    }

    [Theory]
    [InlineData("version=1\nstatus=0\ntrace_complete=1\noutputs=0\n", false)]
    [InlineData("version=1\nstatus=0\ntrace_complete=1\noutputs=1\n", true)]
    [InlineData("version=1\nstatus=0\ntrace_complete=1\n", true)]
    public void Parse_OutputsFlag_TellsWhetherOutFolderHoldsAnything(string text, bool expected)
    {
        Assert.Equal(expected, SupervisorManifest.Parse(text).HasOutputs);
    }

    [Theory]
    [InlineData("version=1\nstatus=0\ntrace_complete=0\nmisreported=1\n", true)]
    [InlineData("version=1\nstatus=0\ntrace_complete=1\nmisreported=0\n", false)]
    [InlineData("version=1\nstatus=0\ntrace_complete=1\n", false)]
    public void Parse_MisreportedFlag_TellsWhetherTheRuntimeGaveStraceStaleResults(string text, bool expected)
    {
        Assert.Equal(expected, SupervisorManifest.Parse(text).Misreported);
    }

    [Fact]
    public void Parse_UnknownKeys_AreIgnored()
    {
        var manifest = SupervisorManifest.Parse("version=1\nstatus=0\ntrace_complete=1\nfuture=whatever\n");

        Assert.Equal(0, manifest.Status);
        Assert.True(manifest.TraceComplete);
    }

    [Theory]
    [InlineData("status=0\n")]
    [InlineData("version=2\nstatus=0\n")]
    [InlineData("version=1\nstatus=-1\n")]
    [InlineData("version=1\nstatus=256\n")]
    [InlineData("version=1\nstatus=0\ntrace_complete=yes\n")]
    public void Parse_OtherVersionOrMalformedValue_Throws(string text)
    {
        Assert.Throws<InvalidDataException>(() => SupervisorManifest.Parse(text));
    }
}
