namespace Mtls.Extensions.AspNetCore;

/// <summary>Whether the TLS handshake itself demands a valid client certificate.</summary>
public enum MtlsClientCertificateMode
{
    /// <summary>No valid client certificate, no handshake: missing or rejected certificates fail the TLS handshake.</summary>
    Require,

    /// <summary>
    /// The handshake asks for a certificate but proceeds without one, or with one that fails validation;
    /// authentication then fails (401) and authorization decides per endpoint. Anonymous endpoints stay reachable.
    /// </summary>
    Allow,
}
