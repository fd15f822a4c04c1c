using System.Security.Claims;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// The verdict on the client certificate a trusted proxy forwarded for one request; it stands in for the connection's
/// own verdict (the proxy's) for that request only, and names the proxy.
/// </summary>
internal sealed class ForwardedPeerFeature(PeerValidationResult result, ForwardedVerdictCache.Entry? accepted, string forwardedBy, PeerValidationResult? proxy) : IMtlsPeerFeature
{
    public PeerValidationResult? Result { get; } = result;

    public string? ForwardedBy { get; } = forwardedBy;

    public PeerValidationResult? Proxy { get; } = proxy;

    public IReadOnlyList<Claim> GetClaims(string issuer) => accepted is not null ? accepted.GetClaims(issuer) : [];
}
