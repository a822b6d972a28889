namespace DataExchangeTasker.Protocol;

/// <summary>
/// A request to run <see cref="CodePath"/> on <see cref="DataPath"/>, as published to <c>tasker_todo</c>.
/// Protocol v1 is a superset of v0.1: only <c>taskId</c>, <c>codePath</c> and <c>dataPath</c> are required.
/// </summary>
/// <param name="TaskId">The publisher's id for the task; echoed on the done message and used as correlation id.</param>
/// <param name="CodePath">Relative to the code root: a folder with <c>run.py</c>, or a single <c>.py</c> file.</param>
/// <param name="DataPath">Relative to the data root: a file or a folder, mounted read-only.</param>
/// <param name="CodeHash">The approved content hash of the code; checked when present.</param>
/// <param name="Limits">Optional lower limits than the tasker's configured maxima.</param>
/// <param name="Image">Name of an approved runner image (<c>TASKER_IMAGES</c>); null for the default runner.</param>
public sealed record StartMessage(
    string TaskId,
    string CodePath,
    string DataPath,
    CodeHash? CodeHash = null,
    TaskLimits? Limits = null,
    string? Image = null);
