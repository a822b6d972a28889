namespace DataExchangeTasker.Configuration;

/// <summary>One configuration setting: its environment variable, its CLI flag, its default and what it means.</summary>
/// <param name="Name">Environment variable, e.g. <c>TASKER_CONCURRENCY</c>.</param>
/// <param name="Default">Default value as text; null when the setting is required or has no default.</param>
/// <param name="Description">One line for <c>--help</c> and the README.</param>
/// <param name="IsFlag">True for on/off settings whose CLI flag takes no value.</param>
public sealed record SettingDefinition(string Name, string? Default, string Description, bool IsFlag = false)
{
    /// <summary>The CLI flag: <c>TASKER_CODE_ROOT</c> → <c>--code-root</c>, <c>DOCKER_HOST</c> → <c>--docker-host</c>.</summary>
    public string Flag => "--" + (Name.StartsWith("TASKER_", StringComparison.Ordinal) ? Name[7..] : Name)
        .ToLowerInvariant().Replace('_', '-');
}
