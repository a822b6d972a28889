using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Protocol;

/// <summary>
/// Keeps <c>protocol/</c> (schemas and examples) and the C# message types in step: every example
/// round-trips through <see cref="ProtocolJsonContext"/>, the schemas name exactly the members the types
/// serialize, and the examples satisfy the schemas.
/// </summary>
public sealed class ProtocolExamplesTests
{
    private static readonly string[] RequiredStartExamples =
    [
        "minimal.json", "v01-with-codehash.json", "with-limits.json", "single-file.json", "unicode-paths.json", "with-image.json",
    ];

    private static readonly string[] RequiredDoneExamples =
    [
        "success.json", "error-exit-code.json", "timeout.json", "cancelled.json", "oom.json", "rejected-path-not-found.json",
        "rejected-invalid-message.json", "rejected-hash-mismatch.json", "infrastructure.json", "truncated.json",
        "output-files.json", "trace-incomplete.json", "rejected-path-changed.json", "rejected-not-approved.json", "success-with-receipt.json",
        "success-with-witness.json", "trace-incomplete-witness.json",
        "rejected-image-not-allowed.json", "error-results-unwritable.json",
    ];

    public static TheoryData<string> StartExamples => ExampleNames("start");

    public static TheoryData<string> DoneExamples => ExampleNames("done");

    [Fact]
    public void Examples_Folders_HoldEveryRequiredExample()
    {
        foreach (var name in RequiredStartExamples)
        {
            Assert.True(File.Exists(Path.Combine(ProtocolDirectory, "examples", "start", name)), $"start/{name} is missing");
        }

        foreach (var name in RequiredDoneExamples)
        {
            Assert.True(File.Exists(Path.Combine(ProtocolDirectory, "examples", "done", name)), $"done/{name} is missing");
        }
    }

    [Theory]
    [MemberData(nameof(StartExamples))]
    public void Deserialize_EveryStartExample_RoundTripsWithoutLoss(string example)
    {
        var original = ReadObject(Path.Combine("examples", example));

        var message = JsonSerializer.Deserialize(original.ToJsonString(), ProtocolJsonContext.Default.StartMessage);
        Assert.NotNull(message);
        var roundTripped = ParseObject(JsonSerializer.Serialize(message, ProtocolJsonContext.Default.StartMessage));

        // Unknown members may be dropped, but only members the schema does not define either.
        var dropped = new List<string>();
        var known = ProjectOntoType(original, ProtocolJsonContext.Default.StartMessage, "", dropped);
        var schemaNames = SchemaPropertyPaths(ReadObject("start-message.schema.json"), "");
        Assert.Empty(dropped.Intersect(schemaNames));

        // An absent optional member comes back as null; treat the two alike.
        AssertJsonEqual(WithoutNulls(known), WithoutNulls(roundTripped));
    }

    [Theory]
    [MemberData(nameof(DoneExamples))]
    public void Deserialize_EveryDoneExample_RoundTripsWithoutLoss(string example)
    {
        var original = ReadObject(Path.Combine("examples", example));

        var message = JsonSerializer.Deserialize(original.ToJsonString(), ProtocolJsonContext.Default.DoneMessage);
        Assert.NotNull(message);
        var roundTripped = ParseObject(JsonSerializer.Serialize(message, ProtocolJsonContext.Default.DoneMessage));

        // Done messages are written in full (nulls included), so nothing may be added or lost.
        AssertJsonEqual(original, roundTripped);
    }

    [Fact]
    public void SuccessWithReceiptExample_Verifies_WithTheExampleNodeKey()
    {
        var key = DataExchangeTasker.Governance.Receipts.ReceiptPublicKey.Parse(Path.Combine(ProtocolDirectory, "examples", "node-example.pub"));
        var outcome = DataExchangeTasker.Governance.Receipts.ReceiptVerifier.Verify(
            File.ReadAllBytes(Path.Combine(ProtocolDirectory, "examples", "done", "success-with-receipt.json")), key);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains("strace", outcome.Checked);
        Assert.Contains("traceSummary", outcome.Checked);
    }

    [Fact]
    public void SuccessWithWitnessExample_VersionTwo_VerifiesWithItsExampleNodeKey()
    {
        var key = DataExchangeTasker.Governance.Receipts.ReceiptPublicKey.Parse(Path.Combine(ProtocolDirectory, "examples", "node-example-witness.pub"));
        var outcome = DataExchangeTasker.Governance.Receipts.ReceiptVerifier.Verify(
            File.ReadAllBytes(Path.Combine(ProtocolDirectory, "examples", "done", "success-with-witness.json")), key);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains("witness", outcome.Checked);
        Assert.Contains("traceSummary", outcome.Checked);
    }

    [Fact]
    public void Schema_StartProperties_MatchStartMessageMembers()
    {
        var errors = new List<string>();
        CompareMembers(ReadObject("start-message.schema.json"), ProtocolJsonContext.Default.StartMessage, "", nullsWritten: false, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Schema_DoneProperties_MatchDoneMessageMembers()
    {
        var errors = new List<string>();
        CompareMembers(ReadObject("done-message.schema.json"), ProtocolJsonContext.Default.DoneMessage, "", nullsWritten: true, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Schema_StartRequired_MatchesConstructorParametersWithoutDefault()
    {
        var errors = new List<string>();
        CompareRequired(ReadObject("start-message.schema.json"), ProtocolJsonContext.Default.StartMessage, "", everyMember: false, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Schema_DoneRequired_ListsEveryMember()
    {
        var errors = new List<string>();
        CompareRequired(ReadObject("done-message.schema.json"), ProtocolJsonContext.Default.DoneMessage, "", everyMember: true, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Schema_EveryProperty_HasDescription()
    {
        foreach (var file in new[] { "start-message.schema.json", "done-message.schema.json" })
        {
            var schema = ReadObject(file);
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
            Assert.Equal($"https://dataexchange.example/tasker/{file}", (string?)schema["$id"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)schema["title"]), $"{file}: title");
            Assert.False(string.IsNullOrWhiteSpace((string?)schema["description"]), $"{file}: description");
            var missing = SchemaPropertyPaths(schema, "")
                .Where(path => string.IsNullOrWhiteSpace((string?)SchemaAt(schema, path)["description"]))
                .ToList();
            Assert.Empty(missing);
        }
    }

    [Fact]
    public void Schema_StateEnum_MatchesTaskStatesConstants()
    {
        var schemaValues = EnumStrings(ReadObject("done-message.schema.json"), "state");
        Assert.Equal(ConstantValues(typeof(TaskStates)), schemaValues);
    }

    [Fact]
    public void Schema_ReasonEnum_MatchesReasonsConstants()
    {
        var schemaValues = EnumStrings(ReadObject("done-message.schema.json"), "reason");
        Assert.Equal(ConstantValues(typeof(Reasons)), schemaValues);
    }

    [Fact]
    public void Schema_RefusedOutputReasonEnum_MatchesRefusalReasonsConstants()
    {
        var reason = ReadObject("done-message.schema.json")["properties"]!["refusedOutputs"]!["properties"]!["entries"]!["items"]!["properties"]!["reason"]!;
        var schemaValues = new SortedSet<string>(((JsonArray)reason["enum"]!).Select(n => (string?)n ?? ""), StringComparer.Ordinal);
        Assert.Equal(ConstantValues(typeof(RefusalReasons)), schemaValues);
    }

    [Fact]
    public void Validate_RefusedOutputsAsTheTaskerWritesThem_SatisfySchema()
    {
        var done = ReadObject(Path.Combine("examples", "done", "output-files.json"));
        var refused = new RefusedOutputs(250, [.. Enumerable.Range(0, RefusedOutputs.MaxEntries).Select(i => new RefusedOutput(EscapedPath.Of([0xFE, (byte)('a' + (i % 26)), (byte)'\\']), RefusalReasons.NameNotUtf8))]);
        done["refusedOutputs"] = JsonNode.Parse(JsonSerializer.Serialize(refused, ProtocolJsonContext.Default.RefusedOutputs));

        Assert.Empty(MiniSchema.Validate(done, ReadObject("done-message.schema.json")));
        Assert.Equal(@"\xfea\\", (string?)done["refusedOutputs"]!["entries"]![0]!["path"]);
    }

    [Theory]
    [MemberData(nameof(StartExamples))]
    public void Validate_EveryStartExample_SatisfiesSchema(string example)
    {
        var errors = MiniSchema.Validate(ReadObject(Path.Combine("examples", example)), ReadObject("start-message.schema.json"));
        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(DoneExamples))]
    public void Validate_EveryDoneExample_SatisfiesSchema(string example)
    {
        var errors = MiniSchema.Validate(ReadObject(Path.Combine("examples", example)), ReadObject("done-message.schema.json"));
        Assert.Empty(errors);
    }

    [Fact]
    public void DoneExamples_Together_CoverEveryStateAndReason()
    {
        var done = ExampleFiles("done").Select(file => ReadObject(Path.Combine("examples", file))).ToList();
        var states = done.Select(d => (string?)d["state"]).ToHashSet();
        var reasons = done.Select(d => (string?)d["reason"]).ToHashSet();

        Assert.Empty(ConstantValues(typeof(TaskStates)).Except(states));
        Assert.Empty(ConstantValues(typeof(Reasons)).Except(reasons));
        Assert.Contains(null, reasons);
    }

    [Fact]
    public void Serialize_RejectedFactoryMessage_SatisfiesDoneSchema()
    {
        var message = DoneMessage.Rejected("42", Reasons.PathNotFound, "codePath \"x\" does not exist under the code root.");
        var json = ParseObject(JsonSerializer.Serialize(message, ProtocolJsonContext.Default.DoneMessage));

        Assert.Empty(MiniSchema.Validate(json, ReadObject("done-message.schema.json")));
    }

    [Theory]
    [InlineData("state", "\"finished\"")]
    [InlineData("reason", "\"exit_code\"")]
    [InlineData("exitCode", "1")]
    [InlineData("output", "\"should be empty\"")]
    [InlineData("durationMs", "\"1333\"")]
    [InlineData("truncated", "{\"stdout\":false,\"stderr\":false}")]
    [InlineData("truncated", "null")]
    [InlineData("containerOutput", "null")]
    public void Validate_SuccessExampleWithBadMember_ReportsError(string member, string json)
    {
        var success = ReadObject(Path.Combine("examples", "done", "success.json"));
        success[member] = JsonNode.Parse(json);

        Assert.NotEmpty(MiniSchema.Validate(success, ReadObject("done-message.schema.json")));
    }

    [Fact]
    public void Validate_DoneMessageMissingMember_ReportsError()
    {
        var rejected = ReadObject(Path.Combine("examples", "done", "rejected-path-not-found.json"));
        rejected.Remove("signal");

        Assert.NotEmpty(MiniSchema.Validate(rejected, ReadObject("done-message.schema.json")));
    }

    [Fact]
    public void Validate_RejectedWithContainerOutput_ReportsError()
    {
        var rejected = ReadObject(Path.Combine("examples", "done", "rejected-path-not-found.json"));
        rejected["containerOutput"] = new JsonObject { ["stdout"] = "", ["stderr"] = "", ["strace"] = "" };

        Assert.NotEmpty(MiniSchema.Validate(rejected, ReadObject("done-message.schema.json")));
    }

    // ---- schema ⇄ type comparison -------------------------------------------------------------

    private static void CompareMembers(JsonObject schema, JsonTypeInfo type, string path, bool nullsWritten, List<string> errors)
    {
        var schemaProperties = SchemaProperties(schema);
        var typeProperties = type.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);

        foreach (var name in schemaProperties.Keys.Except(typeProperties.Keys))
        {
            errors.Add($"{path}{name}: in the schema but not a member of {type.Type.Name}");
        }

        foreach (var name in typeProperties.Keys.Except(schemaProperties.Keys))
        {
            errors.Add($"{path}{name}: a member of {type.Type.Name} but not in the schema");
        }

        foreach (var (name, property) in typeProperties)
        {
            if (!schemaProperties.TryGetValue(name, out var propertySchema))
            {
                continue;
            }

            var schemaTypes = SchemaTypes(propertySchema);
            var clrType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var expected = JsonTypeOf(clrType);
            var schemaNonNull = schemaTypes.Where(t => t != "null").ToList();
            if (schemaNonNull.Count != 1 || schemaNonNull[0] != expected)
            {
                errors.Add($"{path}{name}: schema type [{string.Join(", ", schemaTypes)}] but {clrType.Name} serializes as {expected}");
            }

            // Deserializing: whatever the schema lets through as null the type must accept.
            // Serializing (nulls written): the schema must allow null exactly where the type can produce it.
            var schemaAllowsNull = schemaTypes.Contains("null");
            if (schemaAllowsNull && !property.IsSetNullable)
            {
                errors.Add($"{path}{name}: schema allows null but {type.Type.Name}.{property.Name} is not nullable");
            }

            if (nullsWritten && property.IsGetNullable && !schemaAllowsNull && !OmittedWhenNull(property))
            {
                errors.Add($"{path}{name}: {type.Type.Name} may write null but the schema does not allow it");
            }

            if (expected == "object")
            {
                CompareMembers(propertySchema, NestedTypeInfo(clrType), $"{path}{name}.", nullsWritten, errors);
            }
            else if (expected == "array" && ObjectElementType(clrType) is { } element)
            {
                CompareMembers(propertySchema["items"] as JsonObject ?? [], NestedTypeInfo(element), $"{path}{name}[].", nullsWritten, errors);
            }
        }
    }

    /// <summary>
    /// A nullable member written only when it has a value (<c>[JsonIgnore(Condition = WhenWritingNull)]</c>, e.g. members
    /// a later version added to a signed object, or that apply to one case only): optional in the schema, and never null
    /// there. A non-nullable member with that attribute is always written by this tasker (left out only of old messages).
    /// </summary>
    private static bool OmittedWhenNull(JsonPropertyInfo property) =>
        property.IsGetNullable && property.AttributeProvider?.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), false)
            .OfType<System.Text.Json.Serialization.JsonIgnoreAttribute>()
            .Any(a => a.Condition == System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull) == true;

    /// <summary>The element type of a list of objects; null for lists of strings or numbers.</summary>
    private static Type? ObjectElementType(Type listType) =>
        NestedTypeInfo(listType).ElementType is { } element && JsonTypeOf(element) == "object" ? element : null;

    private static void CompareRequired(JsonObject schema, JsonTypeInfo type, string path, bool everyMember, List<string> errors)
    {
        var schemaRequired = (schema["required"] as JsonArray ?? [])
            .Select(n => (string?)n ?? "")
            .ToHashSet(StringComparer.Ordinal);
        var typeRequired = type.Properties
            .Where(p => everyMember ? !OmittedWhenNull(p) : p.AssociatedParameter is { HasDefaultValue: false })
            .Select(p => p.Name)
            .ToHashSet(StringComparer.Ordinal);

        foreach (var name in schemaRequired.Except(typeRequired))
        {
            errors.Add($"{path}{name}: required by the schema but optional in {type.Type.Name}");
        }

        foreach (var name in typeRequired.Except(schemaRequired))
        {
            errors.Add($"{path}{name}: required by {type.Type.Name} but not listed in the schema's required");
        }

        var schemaProperties = SchemaProperties(schema);
        foreach (var property in type.Properties)
        {
            var clrType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (JsonTypeOf(clrType) == "object" && schemaProperties.TryGetValue(property.Name, out var propertySchema))
            {
                CompareRequired(propertySchema, NestedTypeInfo(clrType), $"{path}{property.Name}.", everyMember, errors);
            }
            else if (JsonTypeOf(clrType) == "array" && ObjectElementType(clrType) is { } element && schemaProperties.TryGetValue(property.Name, out var listSchema))
            {
                CompareRequired(listSchema["items"] as JsonObject ?? [], NestedTypeInfo(element), $"{path}{property.Name}[].", everyMember, errors);
            }
        }
    }

    private static string JsonTypeOf(Type clrType)
    {
        if (clrType == typeof(string) || clrType == typeof(DateTimeOffset))
        {
            return "string";
        }

        if (clrType == typeof(int) || clrType == typeof(long))
        {
            return "integer";
        }

        if (clrType == typeof(double) || clrType == typeof(float) || clrType == typeof(decimal))
        {
            return "number";
        }

        if (clrType == typeof(bool))
        {
            return "boolean";
        }

        return NestedTypeInfo(clrType).Kind switch
        {
            JsonTypeInfoKind.Object => "object",
            JsonTypeInfoKind.Enumerable => "array",
            _ => throw new InvalidOperationException($"No JSON Schema type known for {clrType}; extend JsonTypeOf."),
        };
    }

    private static JsonTypeInfo NestedTypeInfo(Type clrType) =>
        ProtocolJsonContext.Default.GetTypeInfo(clrType)
        ?? throw new InvalidOperationException($"{clrType} is not in {nameof(ProtocolJsonContext)}.");

    /// <summary>The original with only the members <paramref name="type"/> knows; the others go to <paramref name="dropped"/>.</summary>
    private static JsonObject ProjectOntoType(JsonObject original, JsonTypeInfo type, string path, List<string> dropped)
    {
        var result = new JsonObject();
        var properties = type.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (name, value) in original)
        {
            if (!properties.TryGetValue(name, out var property))
            {
                dropped.Add(path + name);
                continue;
            }

            var clrType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            result[name] = value is JsonObject nested && JsonTypeOf(clrType) == "object"
                ? ProjectOntoType(nested, NestedTypeInfo(clrType), $"{path}{name}.", dropped)
                : value?.DeepClone();
        }

        return result;
    }

    private static JsonObject WithoutNulls(JsonObject node)
    {
        var result = new JsonObject();
        foreach (var (name, value) in node)
        {
            if (value is not null)
            {
                result[name] = value is JsonObject nested ? WithoutNulls(nested) : value.DeepClone();
            }
        }

        return result;
    }

    // ---- schema helpers -------------------------------------------------------------------------

    private static Dictionary<string, JsonObject> SchemaProperties(JsonObject schema) =>
        (schema["properties"] as JsonObject ?? [])
            .ToDictionary(p => p.Key, p => p.Value as JsonObject ?? throw new InvalidOperationException($"{p.Key} is not a schema object"), StringComparer.Ordinal);

    /// <summary>Dotted paths of all properties, nested objects included ("codeHash", "codeHash.eTag", ...).</summary>
    private static List<string> SchemaPropertyPaths(JsonObject schema, string prefix)
    {
        var paths = new List<string>();
        foreach (var (name, propertySchema) in SchemaProperties(schema))
        {
            paths.Add(prefix + name);
            paths.AddRange(SchemaPropertyPaths(propertySchema, $"{prefix}{name}."));
            if (propertySchema["items"] is JsonObject items)
            {
                paths.AddRange(SchemaPropertyPaths(items, $"{prefix}{name}[]."));
            }
        }

        return paths;
    }

    private static JsonObject SchemaAt(JsonObject schema, string dottedPath) =>
        dottedPath.Split('.').Aggregate(schema, (current, name) => name.EndsWith("[]", StringComparison.Ordinal)
            ? (JsonObject)SchemaProperties(current)[name[..^2]]["items"]!
            : SchemaProperties(current)[name]);

    private static List<string> SchemaTypes(JsonObject schema) => schema["type"] switch
    {
        JsonArray array => array.Select(n => (string?)n ?? "").ToList(),
        JsonValue value => [(string?)value ?? ""],
        _ => [],
    };

    private static SortedSet<string> EnumStrings(JsonObject schema, string property) =>
        new((SchemaProperties(schema)[property]["enum"] as JsonArray ?? throw new InvalidOperationException($"{property} has no enum"))
            .Where(n => n is not null)
            .Select(n => (string?)n ?? ""),
            StringComparer.Ordinal);

    private static SortedSet<string> ConstantValues(Type holder) =>
        new(holder.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!),
            StringComparer.Ordinal);

    // ---- files ----------------------------------------------------------------------------------

    private static string ProtocolDirectory { get; } = FindProtocolDirectory();

    private static string FindProtocolDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataExchangeTasker.sln")))
            {
                return Path.Combine(dir.FullName, "protocol");
            }
        }

        throw new InvalidOperationException($"No DataExchangeTasker.sln above {AppContext.BaseDirectory}.");
    }

    private static TheoryData<string> ExampleNames(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in ExampleFiles(kind))
        {
            data.Add(file);
        }

        return data;
    }

    private static List<string> ExampleFiles(string kind)
    {
        var files = Directory.GetFiles(Path.Combine(ProtocolDirectory, "examples", kind), "*.json")
            .Select(f => $"{kind}/{Path.GetFileName(f)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidOperationException($"No examples in protocol/examples/{kind}.");
        }

        return files;
    }

    private static JsonObject ReadObject(string relativePath) =>
        ParseObject(File.ReadAllText(Path.Combine(ProtocolDirectory, relativePath)));

    private static JsonObject ParseObject(string json) =>
        JsonNode.Parse(json) as JsonObject ?? throw new InvalidOperationException("Expected a JSON object.");

    private static void AssertJsonEqual(JsonNode expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"Expected:\n{expected.ToJsonString()}\nActual:\n{actual.ToJsonString()}");

    /// <summary>
    /// Just enough JSON Schema for these tests: type, required, enum, const, properties, allOf and if/then/else.
    /// Every other keyword (pattern, format, minimum, ...) is ignored.
    /// </summary>
    private static class MiniSchema
    {
        public static List<string> Validate(JsonNode? instance, JsonObject schema)
        {
            var errors = new List<string>();
            Check(instance, schema, "$", errors);
            return errors;
        }

        private static void Check(JsonNode? instance, JsonObject schema, string path, List<string> errors)
        {
            var types = SchemaTypes(schema);
            if (types.Count > 0 && !types.Any(t => HasType(instance, t)))
            {
                errors.Add($"{path}: {Describe(instance)} is not of type [{string.Join(", ", types)}]");
            }

            if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, instance)))
            {
                errors.Add($"{path}: {Describe(instance)} is not one of {allowed.ToJsonString()}");
            }

            if (schema.TryGetPropertyValue("const", out var constant) && !JsonNode.DeepEquals(constant, instance))
            {
                errors.Add($"{path}: {Describe(instance)} is not {constant?.ToJsonString() ?? "null"}");
            }

            if (instance is JsonObject obj)
            {
                foreach (var name in schema["required"] as JsonArray ?? [])
                {
                    if (!obj.ContainsKey((string?)name ?? ""))
                    {
                        errors.Add($"{path}: required member {name} is missing");
                    }
                }

                foreach (var (name, propertySchema) in SchemaProperties(schema))
                {
                    if (obj.TryGetPropertyValue(name, out var value))
                    {
                        Check(value, propertySchema, $"{path}.{name}", errors);
                    }
                }
            }

            if (instance is JsonArray array && schema["items"] is JsonObject itemSchema)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], itemSchema, $"{path}[{i}]", errors);
                }
            }

            foreach (var sub in schema["allOf"] as JsonArray ?? [])
            {
                Check(instance, sub as JsonObject ?? [], path, errors);
            }

            if (schema["if"] is JsonObject condition)
            {
                var branch = Validate(instance, condition).Count == 0 ? schema["then"] : schema["else"];
                if (branch is JsonObject branchSchema)
                {
                    Check(instance, branchSchema, path, errors);
                }
            }
        }

        private static bool HasType(JsonNode? instance, string type) => (type, instance) switch
        {
            ("null", null) => true,
            ("object", JsonObject) => true,
            ("array", JsonArray) => true,
            ("string", JsonValue v) => v.GetValueKind() == JsonValueKind.String,
            ("boolean", JsonValue v) => v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            ("number", JsonValue v) => v.GetValueKind() == JsonValueKind.Number,
            ("integer", JsonValue v) => v.GetValueKind() == JsonValueKind.Number && IsIntegral(v.GetValue<double>()),
            _ => false,
        };

        private static bool IsIntegral(double value) => double.IsFinite(value) && Math.Floor(value) == value;

        private static string Describe(JsonNode? instance) => instance?.ToJsonString() ?? "null";
    }
}
