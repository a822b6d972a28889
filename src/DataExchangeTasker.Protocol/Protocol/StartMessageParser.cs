using System.Text.Json;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// Reads a start message with errors that name the field, the value and what was expected. Never throws:
/// anything a publisher sends becomes one of the <see cref="StartParseResult"/> cases.
/// </summary>
internal static class StartMessageParser
{
    /// <summary>Largest body parsed into a task; larger ones are answered (or dead-lettered) unread.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Longest usable taskId (<see cref="StartMessageRules"/>).</summary>
    public const int MaxTaskIdLength = StartMessageRules.MaxTaskIdLength;

    /// <summary>Longest usable image name (<see cref="StartMessageRules"/>).</summary>
    public const int MaxImageLength = StartMessageRules.MaxImageLength;

    /// <summary>Classifies a raw message body.</summary>
    /// <param name="body">The message body.</param>
    /// <param name="legacyETag">What a <c>codeHash.eTag</c> that is not a sha256 code hash leads to.</param>
    public static StartParseResult Parse(ReadOnlyMemory<byte> body, LegacyETagHandling legacyETag = LegacyETagHandling.Reject)
    {
        // JsonDocument does not validate UTF-8 inside strings; reading such a string would throw later.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return new UnusableStart("the message body is not valid UTF-8");
        }

        if (body.Length > MaxBodyBytes)
        {
            var error = $"the message body is {body.Length} bytes; expected at most {MaxBodyBytes}";
            return TaskIdScanner.Find(body.Span) is { } id && CheckTaskId(id) is null
                ? new InvalidStart(id, error)
                : new UnusableStart(error);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return new UnusableStart($"the message body is not valid JSON ({e.Message})");
        }

        using (document)
        {
            return Read(document.RootElement, legacyETag);
        }
    }

    private static StartParseResult Read(JsonElement root, LegacyETagHandling legacyETag)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new UnusableStart($"expected a JSON object, got {Kind(root)}");
        }

        if (!root.TryGetProperty("taskId", out var idElement))
        {
            return new UnusableStart("taskId is missing: expected a non-empty string");
        }

        if (idElement.ValueKind != JsonValueKind.String)
        {
            return new UnusableStart($"taskId must be a non-empty string, got {Kind(idElement)} {Shorten(idElement.GetRawText())}");
        }

        var taskId = idElement.GetString()!;
        if (CheckTaskId(taskId) is { } idError)
        {
            return new UnusableStart(idError);
        }

        var errors = new List<string>();
        var codePath = RequiredPath(root, "codePath", "the code root", errors);
        var dataPath = RequiredPath(root, "dataPath", "the data root", errors);
        var codeHash = ReadCodeHash(root, errors);
        var limits = LimitsReader.Read(root, errors);
        var image = ReadImage(root, errors);
        if (errors.Count > 0)
        {
            return new InvalidStart(taskId, "Invalid start message: " + string.Join("; ", errors) + ".");
        }

        if (codeHash?.ETag is { Length: > 0 } eTag && !ETagFormat.IsSha256(eTag))
        {
            // Only a sha256 can ever match; anything else is answered now, before the code is even looked at.
            if (legacyETag == LegacyETagHandling.Reject)
            {
                return new InvalidStart(taskId, ETagFormat.NotSha256Message(eTag)) { Reason = Reasons.HashMismatch };
            }

            codeHash = new CodeHash(null);
        }

        return new ParsedStart(new StartMessage(taskId, codePath!, dataPath!, codeHash, limits, image));
    }

    internal static string? CheckTaskId(string taskId) => StartMessageRules.CheckTaskId(taskId);

    private static string? RequiredPath(JsonElement root, string field, string rootName, List<string> errors)
    {
        if (!root.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{field} is missing: expected a path relative to {rootName}");
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add($"{field} must be a string, got {Kind(element)} {Shorten(element.GetRawText())}");
            return null;
        }

        var value = element.GetString()!;
        if (value.Trim().Length == 0)
        {
            errors.Add($"{field} is empty: expected a path relative to {rootName}");
        }

        return value;
    }

    private static CodeHash? ReadCodeHash(JsonElement root, List<string> errors)
    {
        if (!root.TryGetProperty("codeHash", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"codeHash must be an object like {{\"eTag\": \"<sha256 hex>\"}}, got {Kind(element)}");
            return null;
        }

        if (!element.TryGetProperty("eTag", out var eTag) || eTag.ValueKind == JsonValueKind.Null)
        {
            return new CodeHash(null);
        }

        if (eTag.ValueKind != JsonValueKind.String)
        {
            errors.Add($"codeHash.eTag must be a string, got {Kind(eTag)} {Shorten(eTag.GetRawText())}");
            return null;
        }

        return new CodeHash(eTag.GetString());
    }

    private static string? ReadImage(JsonElement root, List<string> errors)
    {
        if (!root.TryGetProperty("image", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add($"image must be a string naming an approved runner image, got {Kind(element)} {Shorten(element.GetRawText())}");
            return null;
        }

        var image = element.GetString()!;
        if (StartMessageRules.CheckImage(image) is { } problem)
        {
            errors.Add(problem);
            return null;
        }

        return image;
    }

    internal static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    internal static string Shorten(string raw) => raw.Length <= 40 ? raw : raw[..37] + "...";
}
