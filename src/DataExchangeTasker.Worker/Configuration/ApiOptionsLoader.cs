using System.Globalization;
using System.Net;

namespace DataExchangeTasker.Configuration;

/// <summary>Reads <see cref="ApiOptions"/> from a name → value map, reporting every bad value at once.</summary>
public static class ApiOptionsLoader
{
    /// <summary>Validates and returns the options; throws <see cref="ConfigurationException"/> listing every problem.</summary>
    public static ApiOptions Load(IReadOnlyDictionary<string, string?> values)
    {
        var r = new SettingsReader(values);
        var messaging = TaskerOptionsLoader.LoadMessagingFrom(r);
        var bindText = r.Required(ApiSettings.Bind);
        var bind = ParseBind(bindText);
        if (bind is null)
        {
            r.Fail(ApiSettings.Bind, bindText, "host:port with an IP address, like 127.0.0.1:9433 or 0.0.0.0:9433");
        }

        var database = r.Required(ApiSettings.Database);
        if (!database.StartsWith("postgres://", StringComparison.Ordinal) && !database.StartsWith("postgresql://", StringComparison.Ordinal) &&
            !Path.IsPathFullyQualified(database))
        {
            r.Fail(ApiSettings.Database, database, "an absolute SQLite file path or a postgres://user:password@host:port/database URI");
        }

        var adminKey = r.Optional(ApiSettings.AdminKey);
        if (adminKey is { Length: < 16 })
        {
            r.Fail(ApiSettings.AdminKey, "(hidden)", "at least 16 characters");
        }

        var tiersText = r.Required(ApiSettings.Tiers);
        var tiers = ParseTiers(tiersText);
        if (tiers is null)
        {
            r.Fail(ApiSettings.Tiers, tiersText, "name=requests/concurrent pairs like free=10/1,enterprise=5000/50 (positive whole numbers)");
        }

        var id = r.Optional(ApiSettings.InstanceId) ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var options = new ApiOptions(bind!, database, adminKey, tiers!, id, messaging,
            r.OneOf(Settings.LogFormat, "text", "json"), r.OneOf(Settings.LogLevel, "debug", "info", "warning", "error"),
            r.Int(ApiSettings.MaxSchedules, 0, 1_000_000),
            r.Seconds(Settings.TaskTimeout, 1, 7 * 24 * 3600),
            r.Seconds(ApiSettings.AnswerGrace, 0, 30 * 24 * 3600));
        return r.Errors.Count > 0 ? throw new ConfigurationException(r.Errors) : options;
    }

    /// <summary><c>127.0.0.1:9433</c> → endpoint; null when not an IP and port.</summary>
    public static IPEndPoint? ParseBind(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port is >= 0 and <= 65535 ? endpoint : null;

    /// <summary><c>free=10/1,basic=100/5</c> → limits per tier; null when malformed.</summary>
    public static IReadOnlyDictionary<string, TierLimits>? ParseTiers(string text)
    {
        var tiers = new Dictionary<string, TierLimits>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var nameAndLimits = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (nameAndLimits.Length != 2 || nameAndLimits[0].Length == 0 || !nameAndLimits[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return null;
            }

            var limits = nameAndLimits[1].Split('/', StringSplitOptions.TrimEntries);
            if (limits.Length != 2 ||
                !int.TryParse(limits[0], NumberStyles.None, CultureInfo.InvariantCulture, out var perMinute) || perMinute < 1 ||
                !int.TryParse(limits[1], NumberStyles.None, CultureInfo.InvariantCulture, out var concurrent) || concurrent < 1)
            {
                return null;
            }

            tiers[nameAndLimits[0]] = new TierLimits(perMinute, concurrent);
        }

        return tiers.Count > 0 ? tiers : null;
    }
}
