using DataExchangeTasker.Configuration;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Configuration;

public sealed class GovernanceOptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Dictionary<string, string?> Values(params (string Name, string? Value)[] extra)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["TASKER_CODE_ROOT"] = _temp.CreateFolder("code"),
            ["TASKER_DATA_ROOT"] = _temp.CreateFolder("data"),
            ["TASKER_WORK_ROOT"] = _temp.Combine("work"),
        };
        foreach (var (name, value) in extra)
        {
            values[name] = value;
        }

        return values;
    }

    [Fact]
    public void Load_NoGovernanceSettings_EverythingOff()
    {
        Assert.Equal(GovernanceOptions.Off, TaskerOptionsLoader.Load(Values()).Governance);
    }

    [Fact]
    public void Load_AllGovernanceSettings_Parsed()
    {
        var key = _temp.WriteFile("node.key", "key");

        var g = TaskerOptionsLoader.Load(Values(
            ("TASKER_APPROVALS_FILE", "/etc/tasker/approved.txt"),
            ("TASKER_SIGNING_KEY", key),
            ("TASKER_AUDIT_LOG", "/var/lib/tasker/audit.log"),
            ("TASKER_DATA_HASH", "true"))).Governance;

        Assert.Equal(new GovernanceOptions("/etc/tasker/approved.txt", key, "/var/lib/tasker/audit.log", true), g);
    }

    [Theory]
    [InlineData("TASKER_SIGNING_KEY", "/nonexistent/node.key", "TASKER_SIGNING_KEY=\"/nonexistent/node.key\" is invalid: expected an existing key file")]
    [InlineData("TASKER_AUDIT_LOG", "audit.log", "TASKER_AUDIT_LOG=\"audit.log\" is invalid: expected an absolute path")]
    [InlineData("TASKER_APPROVALS_FILE", "approved.txt", "TASKER_APPROVALS_FILE=\"approved.txt\" is invalid: expected an absolute path")]
    [InlineData("TASKER_DATA_HASH", "maybe", "TASKER_DATA_HASH=\"maybe\" is invalid: expected true or false")]
    public void Load_BadGovernanceValue_ErrorNamesIt(string name, string value, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() => TaskerOptionsLoader.Load(Values((name, value))));

        Assert.StartsWith(expected, Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingApprovalsFile_IsNotAConfigurationError()
    {
        var g = TaskerOptionsLoader.Load(Values(("TASKER_APPROVALS_FILE", _temp.Combine("absent.txt")))).Governance;

        Assert.Equal(_temp.Combine("absent.txt"), g.ApprovalsFile);
    }
}
