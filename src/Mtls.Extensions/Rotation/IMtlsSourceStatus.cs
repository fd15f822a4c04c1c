namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// What health checks, readiness probes and the expiry gauge see of a certificate or trust bundle source. The
/// library's own sources implement it; a source created by an <see cref="ICertificateSourceProvider"/> that implements
/// it is tracked too, so that it appears in <c>AddMtlsCertificates</c> and <see cref="MtlsDiagnostics.TimeToExpiryInstrument"/>.
/// </summary>
/// <remarks>Infrastructure for source providers (the SPIFFE Workload API package); applications do not implement it.</remarks>
public interface IMtlsSourceStatus
{
    /// <summary>Gets the source's name (<c>server</c>, <c>client:inventory</c>), as the entry point created it.</summary>
    /// <value>The name passed to <see cref="MtlsSourceFactory"/>.</value>
    string Name { get; }

    /// <summary>Gets the source's kind.</summary>
    /// <value><c>certificate</c> or <c>trust-bundle</c>.</value>
    string Kind { get; }

    /// <summary>Gets when the current value was last loaded or confirmed.</summary>
    /// <value>The time of the last successful load.</value>
    DateTimeOffset LastSuccess { get; }

    /// <summary>Gets when the last failure happened.</summary>
    /// <value>The time of the last failed load, or <see langword="null"/> when none failed since the last success.</value>
    DateTimeOffset? LastFailure { get; }

    /// <summary>Gets the error of the last failed load, while the last good value is served.</summary>
    /// <value>The error, or <see langword="null"/> when the last load succeeded.</value>
    Exception? LastError { get; }

    /// <summary>Gets the validity periods of what the source serves now: one for a certificate, one per anchor for a bundle.</summary>
    /// <value>The current lifetimes.</value>
    IReadOnlyList<CertificateLifetime> Lifetimes { get; }
}
