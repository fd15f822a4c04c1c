using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Validation.Internal;

/// <summary>
/// The X509-SVID rules for validators (SPIFFE X509-SVID, sections 4 and 5) that the profile checks do not already
/// make, applied wherever a SPIFFE identity is required: a leaf SVID asserts neither keyCertSign nor cRLSign; a
/// workload's SPIFFE ID has a path (the trust domain's own ID is not a workload); a signing certificate's SPIFFE ID,
/// if it has one, has no path. Exactly one URI SAN and "the leaf is not a CA" are checked by the identity and
/// profile checks. Reads the already parsed path: nothing is parsed again.
/// </summary>
internal static class X509SvidRules
{
    private const X509KeyUsageFlags SigningUsages = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

    /// <summary>Returns the broken rule, or <see langword="null"/> when the path is a valid X509-SVID path.</summary>
    /// <param name="context">The path, leaf first, anchor last.</param>
    /// <param name="identity">The leaf's identity.</param>
    public static Violation? Check(PathContext context, PeerIdentity identity)
    {
        if (context.Leaf.KeyUsage is { } usage && (usage & SigningUsages) != 0)
        {
            return new(MtlsRejectionReason.KeyUsageNotAllowed, $"asserts {usage & SigningUsages}: a leaf X509-SVID must assert neither keyCertSign nor cRLSign");
        }

        if (identity.SpiffeId is { } id && id.Path.Length == 0)
        {
            return new(MtlsRejectionReason.InvalidSpiffeId, $"has the SPIFFE ID {id}, the trust domain's own ID: a workload's SPIFFE ID has a path");
        }

        for (var i = 1; i < context.Path.Length; i++)
        {
            foreach (var name in context.Path[i].SubjectAltNames ?? [])
            {
                if (name.Tag == GeneralName.Uri && SpiffeId.TryParse(name.Text, out var signer) && signer.Path.Length != 0)
                {
                    return new(MtlsRejectionReason.InvalidSpiffeId, $"chains through {context.Describe(i)}, a signing certificate with the SPIFFE ID {PeerText.Escape(signer.ToString())}: a signing certificate's SPIFFE ID has no path");
                }
            }
        }

        return null;
    }
}
