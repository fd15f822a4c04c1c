namespace Mtls.Extensions;

/// <summary>
/// Creates certificate and trust bundle sources for a kind of <see cref="CertificateSourceOptions"/> that
/// the core does not read itself (for example the SPIFFE Workload API). Register implementations as
/// singletons in DI; <see cref="Infrastructure.MtlsSourceFactory"/> asks them, in registration order, before it reads files.
/// </summary>
public interface ICertificateSourceProvider
{
    /// <summary>Determines whether this provider creates the sources for the options.</summary>
    /// <param name="options">The certificate options.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    bool CanCreate(CertificateSourceOptions options);

    /// <summary>Creates (and loads) the certificate source; throws when the first load fails.</summary>
    /// <param name="name">The unique source name (e.g. <c>server</c>).</param>
    /// <param name="options">The certificate options.</param>
    /// <param name="configurationPath">The configuration key of <paramref name="options"/>, for error messages.</param>
    /// <returns>The source; disposed by the factory when it implements <see cref="IDisposable"/>.</returns>
    /// <exception cref="CertificateLoadException">The first load failed.</exception>
    ICertificateSource CreateCertificateSource(string name, CertificateSourceOptions options, string configurationPath);

    /// <summary>Creates (and loads) the trust bundle source that comes with the certificate (used when no trusted CA is configured).</summary>
    /// <param name="name">The unique source name.</param>
    /// <param name="options">The certificate options.</param>
    /// <param name="configurationPath">The configuration key of the trusted CA options, for error messages.</param>
    /// <returns>The source; disposed by the factory when it implements <see cref="IDisposable"/>.</returns>
    /// <exception cref="CertificateLoadException">The first load failed.</exception>
    ITrustBundleSource CreateTrustBundleSource(string name, CertificateSourceOptions options, string configurationPath);
}
