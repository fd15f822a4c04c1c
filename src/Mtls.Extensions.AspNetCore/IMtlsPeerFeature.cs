using System.Security.Claims;

namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// The verdict on the client certificate of the current connection, produced once during the TLS handshake.
/// Every request on the connection reads it; nothing is validated per request.
/// </summary>
public interface IMtlsPeerFeature
{
    /// <summary>Gets the validation result, or <see langword="null"/> before the handshake judged a certificate.</summary>
    /// <value>The result.</value>
    PeerValidationResult? Result { get; }

    /// <summary>Gets the claims projected from the peer's identity, computed once per connection.</summary>
    /// <param name="issuer">The claims issuer.</param>
    /// <returns>The claims; empty when the peer was not accepted.</returns>
    IReadOnlyList<Claim> GetClaims(string issuer);

    /// <summary>
    /// Gets who forwarded the certificate of this request: the trusted proxy's identity or address and the
    /// <c>Mtls:Server:Forwarding:Proxies</c> entry it matched; <see langword="null"/> when the certificate came from this
    /// connection's own handshake.
    /// </summary>
    /// <value>For example <c>spiffe://example.org/ingress (Mtls:Server:Forwarding:Proxies:0, Envoy)</c>.</value>
    string? ForwardedBy => null;

    /// <summary>Gets the verdict on the forwarding proxy's own client certificate, when it connected with one.</summary>
    /// <value>The proxy's verdict; <see langword="null"/> for a direct peer, or for a proxy trusted by network alone without a certificate.</value>
    PeerValidationResult? Proxy => null;
}
