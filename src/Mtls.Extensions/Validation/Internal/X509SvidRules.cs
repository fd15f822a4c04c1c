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

    /// <summary>
    /// Judges the workload's own SVID (X509-SVID §4 and §5) before it is served: exactly one URI SAN, a SPIFFE ID with a
    /// path, a leaf that is not a CA, has a key usage with digitalSignature and neither keyCertSign nor cRLSign, and signing
    /// certificates that are CAs with keyCertSign. The rules a peer's path gets from <see cref="Check"/> run here too; the
    /// key matching the leaf is checked by the loader. A served SVID that breaks them would be refused by every correctly
    /// validating peer: an outage caused by accepting bad material.
    /// </summary>
    /// <param name="material">The SVID with its intermediates.</param>
    /// <returns>What is wrong, as the rest of a sentence about the SVID, or <see langword="null"/> when it is a valid X509-SVID.</returns>
    public static string? CheckOwn(CertificateMaterial material)
    {
        var identity = material.Identity;
        if (identity.Uris.Count != 1 || identity.SpiffeId is null)
        {
            return identity.Uris.Count == 0
                ? "has no URI SAN: an X509-SVID has exactly one, its SPIFFE ID"
                : identity.Uris.Count > 1
                    ? $"has {identity.Uris.Count} URI SANs: an X509-SVID has exactly one, its SPIFFE ID"
                    : $"has the URI SAN '{PeerText.Escape(identity.Uris[0])}', which is not a valid SPIFFE ID: {identity.SpiffeIdError}";
        }

        ParsedCertificate[] path;
        try
        {
            path = [.. new[] { material.Certificate }.Concat(material.Intermediates).Select(c => ParsedCertificate.Parse(c.RawData, CertificateHash.Of(c.RawData), c.Subject))];
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            return $"cannot be parsed: {ex.Message}";
        }

        var leaf = path[0];
        if (leaf.IsCa)
        {
            return "is a CA certificate (basic constraints CA=true): a leaf X509-SVID is not a CA";
        }

        if (leaf.KeyUsage is not { } usage)
        {
            return "has no key usage extension: a leaf X509-SVID asserts digitalSignature";
        }

        if ((usage & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            return $"asserts {usage} without digitalSignature: a leaf X509-SVID asserts digitalSignature";
        }

        for (var i = 1; i < path.Length; i++)
        {
            if (!path[i].IsCa || path[i].KeyUsage is not { } signing || (signing & X509KeyUsageFlags.KeyCertSign) == 0)
            {
                return $"comes with the signing certificate {path[i].SubjectText}, which is not a CA with keyCertSign: X509-SVID signing certificates are";
            }
        }

        // The same rules a peer's path gets (the own material has no anchor: its last certificate takes that place).
        return Check(new PathContext(path, PeerRole.Server, new PeerValidationOptions(), DateTimeOffset.MinValue), identity)?.Text;
    }

    /// <summary>Refuses the workload's own SVID when <see cref="CheckOwn"/> finds a broken rule.</summary>
    /// <param name="material">The SVID.</param>
    /// <param name="source">Where it came from (a configuration key or the Workload API address), for the message.</param>
    /// <exception cref="CertificateLoadException">The SVID is not a valid X509-SVID.</exception>
    public static void EnsureOwn(CertificateMaterial material, string source)
    {
        if (CheckOwn(material) is { } problem)
        {
            throw new CertificateLoadException(source, $"the workload's own SVID {material.Identity.DisplayName} (SHA-256 {material.ThumbprintSha256[..16]}…) {problem}; it is not served, since correctly validating peers would refuse it.", CertificateLoadErrorKind.Other);
        }
    }
}
