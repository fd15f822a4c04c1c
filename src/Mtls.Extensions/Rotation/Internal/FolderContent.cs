namespace Mtls.Extensions.Internal;

/// <summary>
/// One consistent read of a certificate folder: the certificate with its key and the folder's CA bundle. A part is
/// <see langword="null"/> while nobody uses it (the trust bundle is configured elsewhere, say).
/// </summary>
internal sealed record FolderContent(CertificateMaterial? Certificate, TrustBundle? Trust);
