using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The connection's TLS feature once its client certificate was rejected in <c>Allow</c> mode: code outside the scheme
/// (<c>HttpContext.Connection.ClientCertificate</c>, <see cref="ITlsConnectionFeature"/>: logging, forwarding, custom
/// checks) sees no certificate, as for a client that sent none. The schemes read the verdict from <see cref="IMtlsPeerFeature"/>
/// and, for the compatibility bridge's events, the rejected certificate from <see cref="Rejected"/>.
/// </summary>
internal sealed class RejectedCertificateHidden(X509Certificate2? rejected) : ITlsConnectionFeature
{
    /// <summary>Gets the certificate the handshake rejected; for the schemes only.</summary>
    public X509Certificate2? Rejected { get; } = rejected;

    public X509Certificate2? ClientCertificate
    {
        get => null;
        set { }
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);

    /// <summary>Replaces the connection's TLS feature (set by Kestrel before the handshake) so that no request sees the rejected certificate.</summary>
    public static void Apply(ConnectionContext connection, System.Security.Cryptography.X509Certificates.X509Certificate? rejected) =>
        connection.Features.Set<ITlsConnectionFeature>(new RejectedCertificateHidden(rejected as X509Certificate2 ?? (rejected is null ? null : X509CertificateLoader.LoadCertificate(rejected.GetRawCertData()))));
}
