using System.Security.Claims;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Per-connection holder of the handshake's verdict and of the claims projected from it (computed once).</summary>
internal sealed class MtlsPeerFeature : IMtlsPeerFeature
{
    private volatile PeerValidationResult? _result;
    private Claim[]? _claims;
    private string? _claimsIssuer;

    public PeerValidationResult? Result
    {
        get => _result;
        set
        {
            _result = value;
            Volatile.Write(ref _claims, null);
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
}
