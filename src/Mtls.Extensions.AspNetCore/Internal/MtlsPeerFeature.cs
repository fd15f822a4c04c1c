using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Per-connection holder of the handshake's verdict and of the claims projected from it (computed once).</summary>
internal sealed class MtlsPeerFeature : IMtlsPeerFeature
{
    /// <summary>The connection item under which the authentication handler keeps a verdict it reached without our handshake wiring.</summary>
    internal static readonly object FallbackKey = new();

    private volatile PeerValidationResult? _result;
    private Claim[]? _claims;
    private string? _claimsIssuer;
    private CachedResult? _authenticated;

    /// <summary>Gets or sets what the client's ClientHello offered towards resuming a session; <see langword="null"/> when not read.</summary>
    public ResumptionOffer? Offer { get; set; }

    public PeerValidationResult? Result
    {
        get => _result;
        set
        {
            _result = value;
            Volatile.Write(ref _claims, null);
            Volatile.Write(ref _authenticated, null);
        }
    }

    public IReadOnlyList<Claim> GetClaims(string issuer)
    {
        var claims = Volatile.Read(ref _claims);
        if (claims is not null && string.Equals(_claimsIssuer, issuer, StringComparison.Ordinal))
        {
            return claims;
        }

        var result = _result;
        claims = result is { IsValid: true } ? MtlsClaimsMapper.Map(result.Identity, issuer) : [];
        _claimsIssuer = issuer;
        Volatile.Write(ref _claims, claims);
        return claims;
    }

    /// <summary>Finds the verdict on the connection of a request: from our handshake wiring, or the handler's fallback validation.</summary>
    public static IMtlsPeerFeature? Find(HttpContext context) =>
        context.Features.Get<IMtlsPeerFeature>() ??
        (context.Features.Get<IConnectionItemsFeature>()?.Items is { } items && items.TryGetValue(FallbackKey, out var cached) ? cached as IMtlsPeerFeature : null);

    /// <summary>Gets the authentication result a scheme already produced on this connection (events included).</summary>
    public AuthenticateResult? GetAuthenticateResult(string scheme) =>
        Volatile.Read(ref _authenticated) is { } cached && string.Equals(cached.Scheme, scheme, StringComparison.Ordinal) ? cached.Result : null;

    /// <summary>Keeps a scheme's result for the connection's later requests.</summary>
    public void SetAuthenticateResult(string scheme, AuthenticateResult result) => Volatile.Write(ref _authenticated, new CachedResult(scheme, result));

    private sealed record CachedResult(string Scheme, AuthenticateResult Result);
}
