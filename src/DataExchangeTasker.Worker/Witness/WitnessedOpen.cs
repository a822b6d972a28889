namespace DataExchangeTasker.Witness;

/// <summary>One open (or read) of a marked data object, as the reader resolved it from its event.</summary>
/// <param name="MountId">The mount the object was reached through (<see cref="MountedObject"/>).</param>
/// <param name="Path">The object's path in the opener's mount namespace, e.g. <c>/tmp/data/demo/a.csv</c>.</param>
/// <param name="Opener">Who made it.</param>
internal readonly record struct WitnessedOpen(ulong MountId, string Path, Opener Opener);
