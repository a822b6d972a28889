using System.Reflection;
using System.Text;
using System.Text.Json;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// The seccomp profile of every task and preparation container (<c>SeccompProfile.json</c>, embedded; section 8 of
/// docs/sandbox-design.md): an allow-list like the engine's default, without io_uring (as newer engines ship it),
/// with io_uring and clone3 handed to the tracer (<c>SCMP_ACT_TRACE</c>) so that strace can refuse them where the
/// trace shows it, and without <c>open_by_handle_at</c> whatever the capabilities. It replaces the engine's default
/// profile for the container; the code's own, stricter filter (runner-image/code-filter) stacks on top of it.
/// </summary>
internal static class SeccompProfile
{
    private const string ResourceName = "seccomp-profile.json";

    /// <summary>The profile, as compact JSON.</summary>
    public static string Json { get; } = Load();

    /// <summary>The <c>HostConfig.SecurityOpt</c> entry applying it: the Engine API takes the profile's text, not a path.</summary>
    public static string SecurityOpt { get; } = "seccomp=" + Json;

    private static string Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from this build.");
        using var document = JsonDocument.Parse(stream);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            document.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
