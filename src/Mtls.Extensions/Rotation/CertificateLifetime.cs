namespace Mtls.Extensions.Infrastructure;

/// <summary>The validity period of one certificate a source serves, as health checks and the expiry gauge report it.</summary>
/// <param name="Kind">The certificate's kind for the <c>mtls.certificate.kind</c> tag: <c>certificate</c> or <c>trusted-ca</c>.</param>
/// <param name="Subject">The certificate's subject (or SPIFFE ID); escaped before it reaches health data.</param>
/// <param name="ThumbprintSha256">The SHA-256 thumbprint, hexadecimal.</param>
/// <param name="NotBefore">The start of the validity period.</param>
/// <param name="NotAfter">The end of the validity period.</param>
/// <remarks>Infrastructure for source providers; see <see cref="IMtlsSourceStatus"/>.</remarks>
public readonly record struct CertificateLifetime(string Kind, string Subject, string ThumbprintSha256, DateTimeOffset NotBefore, DateTimeOffset NotAfter);
