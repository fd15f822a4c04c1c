using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The claims the official certificate handler (Microsoft.AspNetCore.Authentication.Certificate) issues for a certificate:
/// the same types, values, value types and issuer, in the same order, so that policies written for it keep working.
/// </summary>
internal static class OfficialCertificateClaims
{
    /// <summary>The claim type the official handler uses for the issuer's distinguished name.</summary>
    public const string IssuerClaimType = "issuer";

    public static ClaimsPrincipal CreatePrincipal(X509Certificate2 certificate, string? claimsIssuer)
    {
        var claims = new List<Claim>(9);
        void Add(string type, string? value, string valueType = ClaimValueTypes.String)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                claims.Add(new Claim(type, value, valueType, claimsIssuer));
            }
        }

        claims.Add(new Claim(IssuerClaimType, certificate.Issuer, ClaimValueTypes.String, claimsIssuer));
        claims.Add(new Claim(ClaimTypes.Thumbprint, certificate.Thumbprint, ClaimValueTypes.Base64Binary, claimsIssuer));
        Add(ClaimTypes.X500DistinguishedName, certificate.SubjectName.Name);
        Add(ClaimTypes.SerialNumber, certificate.SerialNumber);
        Add(ClaimTypes.Dns, certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false));
        Add(ClaimTypes.Name, certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Add(ClaimTypes.Email, certificate.GetNameInfo(X509NameType.EmailName, forIssuer: false));
        Add(ClaimTypes.Upn, certificate.GetNameInfo(X509NameType.UpnName, forIssuer: false));
        Add(ClaimTypes.Uri, certificate.GetNameInfo(X509NameType.UrlName, forIssuer: false));

        // The official handler names the identity's authentication type "Certificate" whatever the scheme is called.
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Microsoft.AspNetCore.Authentication.Certificate.CertificateAuthenticationDefaults.AuthenticationScheme));
    }
}
