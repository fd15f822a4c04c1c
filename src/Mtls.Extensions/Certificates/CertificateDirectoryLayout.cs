namespace Mtls.Extensions;

/// <summary>Well-known layouts of a folder holding a certificate, its key and its CA bundle.</summary>
public enum CertificateDirectoryLayout
{
    /// <summary>cert-manager / Kubernetes TLS secret: <c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>.</summary>
    CertManager,

    /// <summary>spiffe-helper: <c>svid.pem</c>, <c>svid_key.pem</c>, <c>svid_bundle.pem</c>.</summary>
    SpiffeHelper,

    /// <summary>
    /// SPIFFE Filesystem Delivery: <c>credential-bundle.private-key.pem</c> (the PKCS#8 key, then the chain) and one
    /// <c>&lt;trust-domain&gt;.spiffe-trust-bundle.pem</c> per trust domain. Without <c>Directory</c>, the folder is
    /// <c>SPIFFE_CREDENTIAL_FOLDER</c>.
    /// </summary>
    SpiffeFilesystem,
}
