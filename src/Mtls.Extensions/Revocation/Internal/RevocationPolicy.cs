using System.Globalization;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Internal;

/// <summary>
/// What the validator checks revocation against, one immutable snapshot: the denylist (configuration and file) and the
/// CRLs indexed by issuer name, with the staleness and scope settings. A new snapshot means a new handshake policy (its
/// verdict cache starts empty) and every open connection judged again.
/// </summary>
internal sealed class RevocationPolicy
{
    public static readonly RevocationPolicy None = new(DenyList.Empty, [], new MtlsRevocationOptions(), "Revocation");

    private readonly Dictionary<string, CertificateRevocationList[]> _crls;

    public RevocationPolicy(DenyList deny, IReadOnlyList<CertificateRevocationList> crls, MtlsRevocationOptions options, string configurationPath)
    {
        Deny = deny;
        Crls = crls;
        ConfigurationPath = configurationPath;
        CheckWholePath = options.CheckWholePath;
        GracePeriod = options.CrlGracePeriod;
        AllowStaleCrl = options.AllowStaleCrl;
        RequireCrl = options.RequireCrl && crls.Count > 0;
        // Newest first: of several CRLs for one issuer, the most recent usable one decides.
        _crls = crls.GroupBy(c => Convert.ToBase64String(c.Issuer.Span), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.ThisUpdate).ToArray(), StringComparer.Ordinal);
    }

    public DenyList Deny { get; }

    public IReadOnlyList<CertificateRevocationList> Crls { get; }

    public string ConfigurationPath { get; }

    public bool CheckWholePath { get; }

    public TimeSpan GracePeriod { get; }

    public bool AllowStaleCrl { get; }

    public bool RequireCrl { get; }

    public bool IsEmpty => Deny.Count == 0 && Crls.Count == 0;

    /// <summary>The revocation step of one candidate path: the denylist for the leaf, then the CRLs of the leaf (or of every certificate below the anchor).</summary>
    public Violation? Check(PathContext context, PeerIdentity identity)
    {
        if (IsEmpty)
        {
            return null;
        }

        if (Deny.Find(context.Leaf, identity) is { } entry)
        {
            return new(MtlsRejectionReason.Revoked, $"is revoked: denied by {ConfigurationPath}:Deny/DenyPath entry {entry}");
        }

        if (Crls.Count == 0 && !RequireCrl)
        {
            return null;
        }

        var last = CheckWholePath ? context.AnchorIndex - 1 : Math.Min(0, context.AnchorIndex - 1);
        for (var i = 0; i <= last; i++)
        {
            if (CheckCrl(context, i) is { } violation)
            {
                return violation;
            }
        }

        return null;
    }

    private Violation? CheckCrl(PathContext context, int index)
    {
        var certificate = context.Path[index];
        var issuer = context.Path[index + 1];
        var what = index == 0 ? "" : $"(through {certificate.SubjectText}, which) ";
        CertificateRevocationList? usable = null;
        string? outOfScope = null;
        string? badSignature = null;
        if (_crls.TryGetValue(Convert.ToBase64String(certificate.Issuer.Span), out var candidates))
        {
            foreach (var crl in candidates)
            {
                if (!crl.Covers(certificate))
                {
                    outOfScope ??= $"the CRL {crl.Source} of {crl.IssuerText} does not cover it (issuing distribution point scope)";
                    continue;
                }

                if (!crl.VerifiedBy(issuer))
                {
                    badSignature ??= $"the signature of the CRL {crl.Source} does not verify with the key of {issuer.SubjectText}";
                    continue;
                }

                usable = crl;
                break;
            }
        }

        if (usable is null)
        {
            // A CRL that claims to be the issuer's but does not verify is never ignored (fail closed); a missing one only
            // when RequireCrl says so.
            if (badSignature is not null)
            {
                return new(MtlsRejectionReason.RevocationUnknown, $"{what}has no usable revocation status: {badSignature}");
            }

            return RequireCrl
                ? new(MtlsRejectionReason.RevocationUnknown, $"{what}has no revocation status: {outOfScope ?? $"there is no CRL for its issuer {issuer.SubjectText}"}, and {ConfigurationPath}:RequireCrl is true")
                : null;
        }

        if (usable.IsRevoked(certificate.Serial.Span))
        {
            return new(MtlsRejectionReason.Revoked, $"{what}is revoked: serial {Convert.ToHexString(certificate.Serial.Span)} is listed in the CRL {usable.Source} of {usable.IssuerText} (thisUpdate {usable.ThisUpdate:u})");
        }

        var now = context.Now;
        if (usable.ThisUpdate > now + TimeSpan.FromMinutes(5) && !AllowStaleCrl)
        {
            return new(MtlsRejectionReason.RevocationUnknown, $"{what}has no current revocation status: the CRL {usable.Source} of {usable.IssuerText} is not valid yet (thisUpdate {usable.ThisUpdate:u}); set {ConfigurationPath}:AllowStaleCrl to true to accept peers anyway");
        }

        if (usable.NextUpdate is { } next && now > next + GracePeriod && !AllowStaleCrl)
        {
            return new(MtlsRejectionReason.RevocationUnknown, $"{what}has no current revocation status: the CRL {usable.Source} of {usable.IssuerText} is stale (nextUpdate {next:u}, grace {GracePeriod.ToString("c", CultureInfo.InvariantCulture)} from {ConfigurationPath}:CrlGracePeriod); fail closed until a newer CRL is installed, or set {ConfigurationPath}:AllowStaleCrl to true to fail open");
        }

        return null;
    }
}
