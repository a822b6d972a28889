using System.Globalization;

namespace DataExchangeTasker.Configuration;

/// <summary>
/// Typed reads of settings from a name → value map, collecting one sentence per bad value so that
/// start-up reports every problem at once.
/// </summary>
internal sealed class SettingsReader(IReadOnlyDictionary<string, string?> values)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public string? Optional(SettingDefinition s) =>
        values.TryGetValue(s.Name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : s.Default;

    public string Required(SettingDefinition s)
    {
        var value = Optional(s);
        if (value is null)
        {
            _errors.Add($"{s.Name} is not set: expected {s.Description.TrimEnd('.')}");
        }

        return value ?? "";
    }

    public int Int(SettingDefinition s, int min, int max)
    {
        var text = Required(s);
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Fail(s, text, $"a whole number from {min} to {max}");
        return min;
    }

    public double Double(SettingDefinition s, double minExclusive, double max)
    {
        var text = Required(s);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > minExclusive && value <= max)
        {
            return value;
        }

        Fail(s, text, $"a number above {minExclusive} and at most {max}");
        return max;
    }

    public long Bytes(SettingDefinition s, long min)
    {
        var text = Required(s);
        if (ByteSize.TryParse(text, out var value) && value >= min)
        {
            return value;
        }

        Fail(s, text, $"a size of at least {min} bytes, like 512m, 1g or 1048576");
        return min;
    }

    public TimeSpan Seconds(SettingDefinition s, int min, int max) => TimeSpan.FromSeconds(Int(s, min, max));

    public bool Bool(SettingDefinition s)
    {
        var text = Required(s);
        switch (text.ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "on": return true;
            case "false" or "0" or "no" or "off": return false;
            default:
                Fail(s, text, "true or false");
                return false;
        }
    }

    public string OneOf(SettingDefinition s, params string[] allowed)
    {
        var text = Required(s).ToLowerInvariant();
        if (Array.IndexOf(allowed, text) < 0)
        {
            Fail(s, text, "one of " + string.Join(", ", allowed));
        }

        return text;
    }

    public string AbsolutePath(SettingDefinition s)
    {
        var text = Required(s);
        if (text.Length > 0 && !Path.IsPathFullyQualified(text))
        {
            Fail(s, text, "an absolute path");
        }

        return text.Length > 1 ? text.TrimEnd('/') : text;
    }

    public string ExistingFolder(SettingDefinition s)
    {
        var path = AbsolutePath(s);
        if (path.Length > 0 && Path.IsPathFullyQualified(path) && !Directory.Exists(path))
        {
            Fail(s, path, "an existing folder");
        }

        return path;
    }

    public T Parse<T>(SettingDefinition s, Func<string, T> parse, string expected)
        where T : class?
    {
        var text = Optional(s);
        if (text is null)
        {
            return null!;
        }

        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is FormatException or UriFormatException or ArgumentException)
        {
            Fail(s, text, expected);
            return null!;
        }
    }

    public void Missing(SettingDefinition s, string expected) =>
        _errors.Add($"{s.Name} is not set: expected {expected}");

    public void Fail(SettingDefinition s, string value, string expected) =>
        _errors.Add($"{s.Name}=\"{value}\" is invalid: expected {expected}");
}
