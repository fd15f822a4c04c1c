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
}
