using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Internal;

/// <summary>
/// The X509-SVID rules for validators (SPIFFE X509-SVID, sections 4 and 5) that the general checks do not
/// already make: a leaf SVID asserts neither keyCertSign nor cRLSign; a workload's SPIFFE ID has a path
/// (the trust domain's own ID is not a workload); a signing certificate's SPIFFE ID, if it has one, has no path.
/// Exactly one URI SAN and "the leaf is not a CA" are checked by <see cref="PeerCertificateValidator"/> itself.
/// </summary>
internal static class X509SvidRules
{
    /// <summary>Returns the broken rule, or <see langword="null"/> when the chain is a valid X509-SVID chain.</summary>
    /// <param name="chain">The built chain, leaf first.</param>
    /// <param name="anchorIndex">The index of the pinned anchor in <paramref name="chain"/>.</param>
    /// <param name="identity">The leaf's identity.</param>
    public static (MtlsRejectionReason Reason, string Text)? Check(X509Certificate2[] chain, int anchorIndex, PeerIdentity identity)
    {
        foreach (var extension in chain[0].Extensions)
        {
            if (extension is X509KeyUsageExtension usage && (usage.KeyUsages & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)) != 0)
            {
                return (MtlsRejectionReason.KeyUsageNotAllowed, $"asserts {usage.KeyUsages & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)}: a leaf X509-SVID must assert neither keyCertSign nor cRLSign.");
            }
        }

        if (identity.SpiffeId is { } id && id.Path.Length == 0)
        {
            return (MtlsRejectionReason.InvalidSpiffeId, $"has the SPIFFE ID {id}, the trust domain's own ID: a workload's SPIFFE ID has a path.");
        }

        for (var i = 1; i <= anchorIndex && i < chain.Length; i++)
        {
            SubjectAlternativeNames sans;
            try
            {
                sans = SubjectAlternativeNames.Read(chain[i]);
            }
            catch (CryptographicException)
            {
                return (MtlsRejectionReason.MalformedCertificate, $"chains through {chain[i].Subject}, whose subject alternative names cannot be read.");
            }

            foreach (var uri in sans.Uris)
            {
                if (SpiffeId.TryParse(uri, out var signer) && signer.Path.Length != 0)
                {
                    return (MtlsRejectionReason.InvalidSpiffeId, $"chains through {chain[i].Subject}, a signing certificate with the SPIFFE ID {signer}: a signing certificate's SPIFFE ID has no path.");
                }
            }
        }

        return null;
    }
}
