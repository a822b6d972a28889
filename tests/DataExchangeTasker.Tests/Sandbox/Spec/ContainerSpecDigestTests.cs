using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Sandbox.Spec;

/// <summary>
/// The digest is computed from generated metadata, not reflection (issue 21: the reflection serializer kept ~11 MB of
/// accessors for the Engine API models after the first task). These tests pin that the bytes hashed did not change:
/// the expected digests are computed here the way the reflection-based digest did.
/// </summary>
public sealed class ContainerSpecDigestTests
{
    private static readonly JsonSerializerOptions Reflection = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private static string ReflectionDigest<T>(T value) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, Reflection)));

    private static CreateContainerParameters SealedSpec()
    {
        var task = new PreparedTask(
            new StartMessage("task-42", "demo1_code", "demo1_data"),
            new ResolvedPath("/srv/code/demo1_code", "/tmp/code/demo1_code", true),
            new CodeSnapshot("abc123", "/var/lib/snap/abc123", "/var/lib/snap/abc123"),
            new ResolvedPath("/srv/data/demo 1:data", "/tmp/data/demo 1:data", true) { Identity = new FileIdentity(2049, 131) },
            "/tmp/code/demo1_code/run.py",
            new EffectiveLimits(TimeSpan.FromSeconds(30), 256L * 1024 * 1024, 0.5, 64));
        return new ContainerSpecFactory(TestOptions.Sandbox("/srv/code", "/srv/data", "/srv/work"), "tasker-host-1").Create(task, null);
    }

    [Fact]
    public void Of_CreateRequest_SameDigestAsTheReflectionSerializer()
    {
        var request = SealedSpec();

        Assert.NotNull(request.StopTimeout);
        Assert.Equal(ReflectionDigest(request), ContainerSpecDigest.Of(request));
    }

    [Fact]
    public void Of_EngineView_SameDigestAsTheReflectionSerializer()
    {
        var request = SealedSpec();
        var container = new ContainerInspectResponse
        {
            Config = new ContainerConfig
            {
                Image = request.Image,
                Cmd = request.Cmd,
                Env = request.Env,
                Labels = request.Labels,
                User = request.User,
                StopTimeout = TimeSpan.FromSeconds(1),
                Healthcheck = new HealthcheckConfig { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromMilliseconds(1500) },
            },
            HostConfig = request.HostConfig,
        };
        container.HostConfig!.ConsoleSize = new ConsoleSize { Height = 24, Width = 80 };
        container.HostConfig.RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No };

        Assert.Equal(ReflectionDigest(new { container.Config, container.HostConfig }), ContainerSpecDigest.Of(container));
    }

    [Fact]
    public void Of_StopTimeoutAndConsoleSize_WrittenInTheEngineApiFormats()
    {
        var request = new CreateContainerParameters { Image = "x", StopTimeout = TimeSpan.FromSeconds(7), HostConfig = new HostConfig { ConsoleSize = new ConsoleSize { Height = 3, Width = 4 } } };

        var json = JsonSerializer.Serialize(request, ContainerSpecJson.Options);

        Assert.Contains("\"StopTimeout\":7", json, StringComparison.Ordinal);
        Assert.Contains("\"ConsoleSize\":[3,4]", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_DifferentSpecs_DifferentDigests()
    {
        var one = SealedSpec();
        var other = SealedSpec();
        other.HostConfig!.Memory++;

        Assert.NotEqual(ContainerSpecDigest.Of(one), ContainerSpecDigest.Of(other));
    }
}
