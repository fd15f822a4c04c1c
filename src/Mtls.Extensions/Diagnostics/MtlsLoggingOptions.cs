namespace Mtls.Extensions;

/// <summary>
/// How rejections are logged. Every rejection is counted in metrics; logging is rate-limited per reason, so that a
/// flood of bad handshakes cannot flood the logs. Bound from <c>Mtls:Logging</c> by every entry point.
/// </summary>
public sealed class MtlsLoggingOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string ConfigurationSection = "Mtls:Logging";

    /// <summary>
    /// Gets or sets how many rejections of one reason are logged in full per <see cref="RejectionLogInterval"/>;
    /// the rest of the interval's rejections of that reason are summed up in one line at its end
    /// ("K more rejections (reason R, M remote addresses) in the last T"). Zero logs only the summaries.
    /// </summary>
    /// <value>The default is 10; 0 (summaries only) to 100000.</value>
    [MtlsRange(0, 100_000, ErrorMessage = "{0}: {1} is out of range; use {2} (summaries only) to {3}.")]
    public int RejectionLogBurst { get; set; } = 10;

    /// <summary>Gets or sets the interval of <see cref="RejectionLogBurst"/>.</summary>
    /// <value>The default is 1 minute; 1 second to 1 day.</value>
    [MtlsRange("00:00:01", "1.00:00:00")]
    public TimeSpan RejectionLogInterval { get; set; } = TimeSpan.FromMinutes(1);
}
