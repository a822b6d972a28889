using System.CommandLine;
using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Hosting;

/// <summary>
/// Where settings come from, lowest precedence first: the env file (<c>--config</c>), the environment, then flags.
/// Each <see cref="SettingDefinition"/> gets a flag, so every <c>TASKER_*</c> variable can be given on the command line.
/// </summary>
public sealed class SettingsSource
{
    private readonly Dictionary<SettingDefinition, Option> _flags = [];

    /// <summary><c>--config FILE</c>: KEY=VALUE lines, as for a systemd EnvironmentFile.</summary>
    public Option<FileInfo?> ConfigFile { get; } = new("--config") { Description = "Env file of KEY=VALUE lines (e.g. /etc/tasker/tasker.env); the environment and flags override it." };

    /// <summary>Adds <c>--config</c> and one flag per setting in <paramref name="settings"/> to <paramref name="command"/>.</summary>
    public void AddTo(Command command, IEnumerable<SettingDefinition> settings)
    {
        command.Options.Add(ConfigFile);
        foreach (var s in settings)
        {
            var help = $"{s.Description} [{s.Name}{(s.Default is null ? "" : ", default " + s.Default)}]";
            Option option = s.IsFlag ? new Option<bool>(s.Flag) { Description = help } : new Option<string?>(s.Flag) { Description = help, HelpName = "value" };
            _flags[s] = option;
            command.Options.Add(option);
        }
    }

    /// <summary>The merged settings for one invocation.</summary>
    public Dictionary<string, string?> Read(ParseResult result)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (result.GetValue(ConfigFile) is { } file)
        {
            foreach (var (key, value) in EnvFile.Read(file.FullName))
            {
                values[key] = value;
            }
        }

        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            values[(string)e.Key] = (string?)e.Value;
        }

        foreach (var (setting, option) in _flags)
        {
            switch (option)
            {
                case Option<bool> flag when result.GetResult(flag) is { Implicit: false }:
                    values[setting.Name] = result.GetValue(flag) ? "true" : "false";
                    break;
                case Option<string?> text when result.GetValue(text) is { } value:
                    values[setting.Name] = value;
                    break;
            }
        }

        return values;
    }
}
