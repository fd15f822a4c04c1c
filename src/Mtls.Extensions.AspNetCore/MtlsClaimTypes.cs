using System.Security.Claims;

namespace Mtls.Extensions.AspNetCore;

/// <summary>Claim types issued by the <c>MutualTls</c> scheme, besides the standard <see cref="ClaimTypes"/> ones.</summary>
/// <remarks>
/// Standard types used: <see cref="ClaimTypes.Name"/> (SPIFFE ID, else subject CN), <see cref="ClaimTypes.NameIdentifier"/>
/// (SPIFFE ID, else SHA-256 thumbprint), <see cref="ClaimTypes.Dns"/>, <see cref="ClaimTypes.Uri"/>, <see cref="ClaimTypes.Email"/>,
/// <see cref="ClaimTypes.X500DistinguishedName"/> (subject), <see cref="ClaimTypes.SerialNumber"/> and
/// <see cref="ClaimTypes.Thumbprint"/> (SHA-1, as the official certificate handler issues it).
/// </remarks>
public static class MtlsClaimTypes
{
    /// <summary>The SPIFFE ID, e.g. <c>spiffe://example.org/ns/prod/sa/orders</c>.</summary>
    public const string SpiffeId = "spiffe_id";

    /// <summary>The SPIFFE trust domain name, e.g. <c>example.org</c>.</summary>
    public const string SpiffeTrustDomain = "spiffe_trust_domain";

    /// <summary>The SPIFFE ID path, e.g. <c>/ns/prod/sa/orders</c>.</summary>
    public const string SpiffePath = "spiffe_path";

    /// <summary>An IP address SAN.</summary>
    public const string IpAddress = "ip_address";

    /// <summary>The issuer distinguished name.</summary>
    public const string Issuer = "x509_issuer";

    /// <summary>The SHA-256 thumbprint in uppercase hexadecimal.</summary>
    public const string ThumbprintSha256 = "x509_thumbprint_sha256";

    /// <summary>The SHA-256 thumbprint in base64url, as the <c>x5t#S256</c> confirmation claim of RFC 8705.</summary>
    public const string X5tS256 = "x5t#S256";
}
