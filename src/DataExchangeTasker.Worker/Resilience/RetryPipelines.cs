using Polly;
using Polly.Retry;

namespace DataExchangeTasker.Resilience;

/// <summary>
/// Every retry loop of the tasker, in one place: the shape (delays, bound) of each, and how a Polly pipeline is
/// built from a shape. Each is bounded, or unbounded for the reason given beside it.
/// </summary>
internal static class RetryPipelines
{
    /// <summary>
    /// The first broker connection (the client only recovers connections that once succeeded). Unbounded until
    /// shutdown: without the broker the tasker has nothing to do.
    /// </summary>
    public static RetryShape FirstBrokerConnect { get; } = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10), null);

    /// <summary>
    /// Declaring the queues and exchanges at start-up, on the connection the first connect made (a broker under load
    /// can let a declaration run past the client's 20 s RPC timeout). The first connection's delays, bounded: 10
    /// retries (about 4 minutes with the RPC timeouts); then start-up fails, saying which declaration the broker
    /// did not answer.
    /// </summary>
    public static RetryShape StartupDeclarations { get; } = FirstBrokerConnect with { MaxRetries = 10 };

    /// <summary>
    /// A done message to <c>tasker_done</c> or a dead-lettered copy, until the broker confirms it. Unbounded until
    /// shutdown: the start message is acked only after, and giving up would lose the task's only answer.
    /// </summary>
    public static RetryShape ConfirmedPublish { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), null);

    /// <summary>
    /// The copy of a done message to the start message's <c>reply_to</c> (<see cref="Messaging.ReplyCopier"/>, off the
    /// settling path). Bounded (≈ 25 s, longer than a broker restart): the answer is already confirmed on
    /// <c>tasker_done</c>; a copy given up is logged and counted (<c>tasker_reply_failures_total</c>).
    /// </summary>
    public static RetryShape ReplyPublish { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 10);

    /// <summary>
    /// Subscribing to the todo queue (first time, after a pause, after the broker closed the channel). Unbounded
    /// while intake is wanted: a tasker that cannot subscribe takes no tasks; each attempt re-reads whether it still is.
    /// </summary>
    public static RetryShape Subscribe { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), null);

    /// <summary>
    /// A task whose engine calls the engine answered with a server error (5xx). Bounded by <c>TASKER_MAX_RETRIES</c>;
    /// then the task ends <c>error</c>/<c>infrastructure</c>. An engine that cannot be reached is not retried here: the
    /// message goes back to the queue with intake paused, and waits (without bound, by design: it is never the task's
    /// fault) until the engine answers again.
    /// </summary>
    public static RetryShape EngineCalls(int maxRetries) => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), maxRetries);

    /// <summary>
    /// A pipeline retrying the exceptions <paramref name="shouldRetry"/> accepts, with <paramref name="shape"/>'s
    /// exponential delays (no jitter, so they are predictable in logs and tests). <paramref name="onRetry"/> runs
    /// before each wait; <paramref name="time"/> replaces the clock in tests.
    /// </summary>
    public static ResiliencePipeline Build(
        RetryShape shape,
        Func<Exception, bool> shouldRetry,
        Func<OnRetryArguments<object>, ValueTask>? onRetry = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(shouldRetry);
        if (shape.MaxRetries == 0)
        {
            // Polly's retry needs at least one retry; no retries is simply no retry strategy.
            return ResiliencePipeline.Empty;
        }

        var builder = new ResiliencePipelineBuilder();
        if (time is not null)
        {
            builder.TimeProvider = time;
        }

        return builder
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && shouldRetry(e)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                Delay = shape.FirstDelay,
                MaxDelay = shape.MaxDelay,
                MaxRetryAttempts = shape.MaxRetries ?? int.MaxValue,
                OnRetry = onRetry,
            })
            .Build();
    }
}
