namespace Mtls.Extensions.Http;

/// <summary>
/// The default resilience pipeline of an mTLS client (Polly, through Microsoft.Extensions.Http.Resilience): total timeout,
/// retries with jittered exponential backoff, circuit breaker, per-attempt timeout. Transient HTTP failures
/// (5xx, 408, 429) and connection errors are retried; a certificate rejection (<see cref="MtlsHandshakeException"/>) never is.
/// </summary>
public sealed class MtlsClientResilienceOptions
{
    /// <summary>Gets or sets a value indicating whether the default pipeline runs (default <see langword="true"/>). Turn it off to chain your own.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the number of retries after the first attempt (default 3; 0 disables retries).</summary>
    [MtlsRange(0, 100)]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Gets or sets the base delay of the jittered exponential backoff (default 200 ms).</summary>
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, ErrorMessage = MtlsHttpClientOptions.MustBePositive)]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the timeout of one attempt (default 10 seconds).</summary>
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, ErrorMessage = MtlsHttpClientOptions.MustBePositive)]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the timeout of the whole call, retries included (default 30 seconds).</summary>
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, ErrorMessage = MtlsHttpClientOptions.MustBePositive)]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the failure ratio over <see cref="CircuitBreakerSamplingDuration"/> that opens the circuit (default 0.5; 0 disables the breaker).</summary>
    [MtlsRange(0d, 1d, ErrorMessage = "{0}: {1} is out of range; use {2} (off) to {3}.")]
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Gets or sets the minimum number of calls in the sampling window before the breaker may open (default 20).</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    /// <summary>Gets or sets the breaker's sampling window (default 30 seconds).</summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long an open circuit rejects calls before letting one through (default 5 seconds).</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
