namespace DataExchangeTasker.Protocol;

/// <summary>Why a task is not run: a <see cref="Protocol.Reasons"/> code and a sentence naming the field and value.</summary>
internal sealed record TaskRejection(string Reason, string Message);
