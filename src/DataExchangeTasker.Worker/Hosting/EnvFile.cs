using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Hosting;

/// <summary>Reads a systemd-style env file: <c>KEY=VALUE</c> lines, <c>#</c> comments, optional quotes.</summary>
internal static class EnvFile
{
    /// <summary>The pairs in <paramref name="path"/>; a malformed line is a <see cref="ConfigurationException"/> naming it.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigurationException($"--config \"{path}\" is invalid: expected an existing env file");
        }

        var lineNumber = 0;
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigurationException($"{path}:{lineNumber} \"{raw}\" is invalid: expected KEY=VALUE");
            }

            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            pairs.Add(new(line[..eq].Trim(), value));
        }

        return pairs;
    }
}
