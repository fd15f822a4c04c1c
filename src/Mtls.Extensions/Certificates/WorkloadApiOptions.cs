namespace Mtls.Extensions;

/// <summary>
/// Where a certificate comes from when it comes from the SPIFFE Workload API (served by a SPIRE agent or
/// any conforming endpoint). Needs the <c>Mtls.Extensions.Spiffe</c> package and <c>services.AddMtlsSpiffe()</c>.
/// </summary>
public sealed class WorkloadApiOptions
{
    /// <summary>
    /// Gets or sets the Workload API endpoint: <c>unix:///absolute/path</c> or <c>tcp://IP:port</c>. When
    /// <see langword="null"/> and <see cref="Enabled"/> is <see langword="true"/>, the address comes from the
    /// <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Socket { get; set; }

    /// <summary>Gets or sets the hint of the SVID to use when the Workload API returns several.</summary>
    /// <value>The default is <see langword="null"/>: the first SVID.</value>
    public string? Hint { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the Workload API is the source even though <see cref="Socket"/>
    /// is not set (the address then comes from <c>SPIFFE_ENDPOINT_SOCKET</c>).
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>
    /// Gets or sets how long start-up waits for the first SVID before it fails. Keep it longer than the
    /// <see cref="Backoff"/> delays, or an agent that comes up late is missed between two attempts.
    /// </summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how the client waits between connection attempts (<c>WorkloadApi:Backoff:Initial</c>, <c>:Max</c>).</summary>
    /// <value>The default is go-spiffe's: 1 s, 2 s, 3 s, ... up to 30 s.</value>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public WorkloadApiBackoffOptions Backoff { get; set; } = new();

    /// <summary>Gets a value indicating whether the Workload API is the selected source.</summary>
    /// <value><see langword="true"/> when <see cref="Socket"/> is set or <see cref="Enabled"/> is <see langword="true"/>.</value>
    public bool IsSelected => Enabled || !string.IsNullOrWhiteSpace(Socket);
}
