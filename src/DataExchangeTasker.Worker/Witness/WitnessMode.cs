namespace DataExchangeTasker.Witness;

/// <summary><c>TASKER_WITNESS</c>: whether the host kernel keeps a second record of the data files each task opened.</summary>
public enum WitnessMode
{
    /// <summary>fanotify when the tasker may use it (CAP_SYS_ADMIN on the host), off otherwise, saying so.</summary>
    Auto,

    /// <summary>fanotify, or start-up fails.</summary>
    Fanotify,

    /// <summary>No witness.</summary>
    Off,
}
