using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Features;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// <c>HttpContext.Connection.ClientCertificate</c> for a request from a trusted proxy: the forwarded leaf once the library
/// accepted it, otherwise nothing (never the proxy's own certificate, never an unjudged one).
/// </summary>
internal sealed class ForwardedTlsConnectionFeature(X509Certificate2? accepted) : ITlsConnectionFeature
{
    public X509Certificate2? ClientCertificate { get; set; } = accepted;

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);
}
