namespace Mtls.Extensions;

/// <summary>How certificate and trust bundle files are watched and reloaded.</summary>
public sealed class MtlsReloadOptions
{
    /// <summary>Gets or sets a value indicating whether the files' folders are watched for changes.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Watch { get; set; } = true;

    /// <summary>Gets or sets how often files are re-read even without a change event (events are unreliable on some volumes); zero disables polling.</summary>
    /// <value>The default is 1 minute; zero (off) to 1 day.</value>
    [MtlsRange("00:00:00", "1.00:00:00", ErrorMessage = "{0}: {1} is out of range; use {2} (off) to {3}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long to wait after the last change event before reading, so that a burst of writes is read once.</summary>
    /// <value>The default is 100 milliseconds; zero to 1 minute.</value>
    [MtlsRange("00:00:00", "00:01:00")]
    public TimeSpan DebounceDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets how long to wait before reading again when the files are inconsistent (a torn, non-atomic write).</summary>
    /// <value>The default is 250 milliseconds; more than zero, up to 1 minute.</value>
    [MtlsRange("00:00:00", "00:01:00", MinimumIsExclusive = true, ErrorMessage = "{0}: {1} is out of range; use a positive delay up to {3}.")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets how many times an inconsistent read is retried before the reload counts as failed.</summary>
    /// <value>The default is 8; 0 to 100.</value>
    [MtlsRange(0, 100)]
    public int MaxRetries { get; set; } = 8;
}
