using System.Globalization;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Spec;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Sweep;

/// <summary>A task container found by a sweep, with what its callers decide on.</summary>
public sealed record LeftoverContainer(string Id, string Key, string? TaskId, bool Running, bool KeptAlive, bool KeepAliveExpired)
{
    /// <summary>The <c>TASKER_ID</c> of the tasker that created it (its owner label).</summary>
    public string? Owner { get; init; }

    /// <summary>The engine's state: <c>created</c>, <c>running</c>, <c>exited</c>, <c>dead</c>, ….</summary>
    public string? State { get; init; }

    /// <summary>When the code's time limit ended (<see cref="ContainerLabels.Deadline"/>, Unix seconds); null for older containers.</summary>
    public long? Deadline { get; init; }

    /// <summary>Reads a container listing entry; <paramref name="nowUnixSeconds"/> decides whether a kept-alive one's time is up.</summary>
    public static LeftoverContainer From(ContainerListResponse container, long nowUnixSeconds)
    {
        ArgumentNullException.ThrowIfNull(container);
        var keepUntil = container.Label(ContainerLabels.KeepUntil);
        var expired = keepUntil is not null && long.TryParse(keepUntil, CultureInfo.InvariantCulture, out var until) && until <= nowUnixSeconds;
        var key = container.Names is { Count: > 0 } names ? names[0].TrimStart('/') : "";
        return new LeftoverContainer(
            container.ID, key, container.Label(ContainerLabels.TaskId), container.State == "running",
            keepUntil is not null, expired)
        {
            Owner = container.Label(ContainerLabels.Owner),
            State = container.State,
            Deadline = long.TryParse(container.Label(ContainerLabels.Deadline), CultureInfo.InvariantCulture, out var deadline) ? deadline : null,
        };
    }
}
