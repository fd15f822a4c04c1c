namespace Mtls.Extensions;

/// <summary>
/// How the Workload API client waits between connection attempts (<c>WorkloadApi:Backoff:*</c>): go-spiffe's linear
/// backoff, <see cref="Initial"/>, twice it, three times it, ... up to <see cref="Max"/>, reset by a good message.
/// </summary>
/// <remarks>
/// One stream serves every server and client of a process that use the same endpoint address: the options of the
/// first one to start it apply. A <see cref="Max"/> below <see cref="Initial"/> makes every delay <see cref="Max"/>.
/// </remarks>
public sealed class WorkloadApiBackoffOptions
{
    /// <summary>Gets or sets the first delay, and the step by which each further delay grows.</summary>
    /// <value>The default is 1 second; 100 ms to 1 minute.</value>
    [MtlsRange("00:00:00.1", "00:01:00")]
    public TimeSpan Initial { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest delay between two attempts.</summary>
    /// <value>The default is 30 seconds; 1 second to 10 minutes.</value>
    [MtlsRange("00:00:01", "00:10:00")]
    public TimeSpan Max { get; set; } = TimeSpan.FromSeconds(30);
}
