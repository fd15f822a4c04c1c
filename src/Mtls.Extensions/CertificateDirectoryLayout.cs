namespace Mtls.Extensions;

/// <summary>Well-known layouts of a folder holding a certificate, its key and its CA bundle.</summary>
public enum CertificateDirectoryLayout
{
    /// <summary>cert-manager / Kubernetes TLS secret: <c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>.</summary>
    CertManager,

    /// <summary>spiffe-helper: <c>svid.pem</c>, <c>svid_key.pem</c>, <c>svid_bundle.pem</c>.</summary>
    SpiffeHelper,
}
