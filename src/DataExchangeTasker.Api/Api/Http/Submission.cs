using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Api.Http;

/// <summary>A validated task or schedule request.</summary>
internal sealed record Submission(string CodePath, string DataPath, string? ETag, TaskLimits? Limits, int DelaySeconds, string? TaskId, string? Every, string? Cron, string? Image = null);
