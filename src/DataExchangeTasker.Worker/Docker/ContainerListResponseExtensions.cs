using Docker.DotNet.Models;

namespace DataExchangeTasker.Docker;

/// <summary>Reading a listed container's labels (the library types them as a mutable, possibly null dictionary).</summary>
internal static class ContainerListResponseExtensions
{
    /// <summary>The value of label <paramref name="key"/>, or null when the container does not carry it.</summary>
    public static string? Label(this ContainerListResponse container, string key) =>
        container.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;
}
