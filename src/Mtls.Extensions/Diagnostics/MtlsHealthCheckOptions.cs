namespace Mtls.Extensions;

/// <summary>Thresholds of the certificate health checks.</summary>
public sealed class MtlsHealthCheckOptions
{
    /// <summary>
    /// Gets or sets the fraction of a certificate's total lifetime below which the check reports Degraded
    /// (the renewal should have happened by then).
    /// </summary>
    /// <value>The default is 1/3, cert-manager's default renewal point.</value>
    public double DegradedLifetimeFraction { get; set; } = 1.0 / 3.0;

    /// <summary>Gets the tags added to every registered check.</summary>
    /// <value>The default is <c>mtls</c>.</value>
    public IList<string> Tags { get; } = ["mtls"];
}
