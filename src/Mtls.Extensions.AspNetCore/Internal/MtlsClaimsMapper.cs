using System.Globalization;
using System.Security.Claims;

namespace Mtls.Extensions.AspNetCore.Internal;

internal static class MtlsClaimsMapper
{
    public static Claim[] Map(PeerIdentity identity, string issuer)
    {
        var claims = new List<Claim>(12 + identity.DnsNames.Count + identity.Uris.Count + identity.IpAddresses.Count + identity.EmailAddresses.Count);
        void Add(string type, string value, string valueType = ClaimValueTypes.String) => claims.Add(new Claim(type, value, valueType, issuer));

        if (identity.SpiffeId is { } id)
        {
            Add(ClaimTypes.Name, id.ToString());
            Add(ClaimTypes.NameIdentifier, id.ToString());
            Add(MtlsClaimTypes.SpiffeId, id.ToString());
            Add(MtlsClaimTypes.SpiffeTrustDomain, id.TrustDomain);
            if (id.Path.Length > 0)
            {
                Add(MtlsClaimTypes.SpiffePath, id.Path);
            }
        }
        else
        {
            Add(ClaimTypes.Name, identity.CommonName ?? identity.Subject);
            Add(ClaimTypes.NameIdentifier, identity.ThumbprintSha256);
        }

        foreach (var dns in identity.DnsNames)
        {
            Add(ClaimTypes.Dns, dns);
        }

        foreach (var ip in identity.IpAddresses)
        {
            Add(MtlsClaimTypes.IpAddress, ip.ToString());
        }

        foreach (var uri in identity.Uris)
        {
            Add(ClaimTypes.Uri, uri);
        }

        foreach (var email in identity.EmailAddresses)
        {
            Add(ClaimTypes.Email, email);
        }

        Add(ClaimTypes.X500DistinguishedName, identity.Subject);
        Add(MtlsClaimTypes.Issuer, identity.Issuer);
        Add(ClaimTypes.SerialNumber, identity.SerialNumber);
        Add(ClaimTypes.Thumbprint, identity.ThumbprintSha1, ClaimValueTypes.Base64Binary);
        Add(MtlsClaimTypes.ThumbprintSha256, identity.ThumbprintSha256);
        Add(MtlsClaimTypes.X5tS256, identity.X5tS256);
        Add(ClaimTypes.Expiration, identity.NotAfter.ToString("o", CultureInfo.InvariantCulture), ClaimValueTypes.DateTime);
        return [.. claims];
    }
}
