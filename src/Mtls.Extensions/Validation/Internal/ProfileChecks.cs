using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Validation.Internal;

/// <summary>
/// The RFC 5280 / CA/B BR rules applied to every certificate of a candidate path (the anchor included), as an ordered list
/// of small named checks. The first check that fails decides the reason; each returns a sentence naming the certificate.
/// </summary>
internal static class ProfileChecks
{
    public static readonly IReadOnlyList<(string Name, Func<PathContext, Violation?> Check)> All =
    [
        ("Validity (RFC 5280 §4.1.2.5, §6.1.3 a.2)", Validity),
        ("Well-formed extensions (RFC 5280 §4.2)", WellFormedExtensions),
        ("Serial number (RFC 5280 §4.1.2.2)", SerialNumber),
        ("Basic constraints (RFC 5280 §4.2.1.9, §6.1.4 k)", BasicConstraints),
        ("Policy constraints critical (RFC 5280 §4.2.1.11)", PolicyConstraintsCritical),
        ("Leaf is not a CA", LeafIsNotCa),
        ("Key usage (RFC 5280 §4.2.1.3)", KeyUsage),
        ("Key identifiers (RFC 5280 §4.2.1.1, §4.2.1.2)", KeyIdentifiers),
        ("Subject name (RFC 5280 §4.1.2.6, §4.2.1.6)", SubjectName),
        ("Path length (RFC 5280 §6.1.4 l-m)", PathLength),
        ("Chain depth (MaxChainDepth)", ChainDepth),
        ("Signature algorithms", SignatureAlgorithms),
        ("Keys (CA/B BR §6.1.5)", Keys),
        ("Name constraints (RFC 5280 §4.2.1.10, §6.1.3 b-c)", NameConstraints),
        ("DNS SAN syntax (RFC 5280 §4.2.1.6)", DnsNames),
        ("Leaf extended key usage (RFC 5280 §4.2.1.12)", LeafExtendedKeyUsage),
        ("Issuer extended key usage", IssuerExtendedKeyUsage),
        ("Leaf key usage for TLS", LeafDigitalSignature),
    ];

    /// <summary>The CA/B Forum Baseline Requirements rules the <see cref="MtlsValidationProfile.WebPki"/> profile adds, run after <see cref="All"/>.</summary>
    public static readonly IReadOnlyList<(string Name, Func<PathContext, Violation?> Check)> WebPki =
    [
        ("CA key identifier shape (CA/B BR §7.1.2)", WebPkiCaAuthorityKeyIdentifier),
        ("Root without extended key usage (CA/B BR §7.1.2.1.2)", WebPkiRootExtendedKeyUsage),
        ("Root authority key identifier (CA/B BR §7.1.2.1.3)", WebPkiRootAuthorityKeyIdentifier),
        ("Leaf extended key usage shape (CA/B BR §7.1.2.7.10)", WebPkiLeafExtendedKeyUsage),
        ("Common name is a SAN (CA/B BR §7.1.4.3)", WebPkiCommonName),
    ];

    /// <summary>Runs every check of the path's profile in order; the first violation, or <see langword="null"/> when the path conforms.</summary>
    public static Violation? Run(PathContext context) => Run(context, out _);

    /// <summary>
    /// Runs every check of the path's profile in order. <paramref name="passed"/> is how many checks passed before the first
    /// violation: how far the path got, so that of several failed candidate paths the one that got furthest is reported.
    /// </summary>
    public static Violation? Run(PathContext context, out int passed)
    {
        passed = 0;
        foreach (var (_, check) in All)
        {
            if (check(context) is { } violation)
            {
                return violation;
            }

            passed++;
        }

        if (context.Options.Profile == MtlsValidationProfile.WebPki)
        {
            foreach (var (_, check) in WebPki)
            {
                if (check(context) is { } violation)
                {
                    return violation;
                }

                passed++;
            }
        }

        return null;
    }

    private static string Cite(PathContext c, int i) => i == 0 ? "" : $"chains through {c.Describe(i)}, which ";

    private static Violation? Validity(PathContext c)
    {
        // Validity includes notAfter, at one-second resolution (RFC 5280 §4.1.2.5).
        var now = c.Now.AddTicks(-(c.Now.UtcTicks % TimeSpan.TicksPerSecond));
        for (var i = 0; i < c.Path.Length; i++)
        {
            var cert = c.Path[i];
            if (now > cert.NotAfter)
            {
                return new(MtlsRejectionReason.Expired, $"{Cite(c, i)}expired at {cert.NotAfter:u}");
            }

            if (now < cert.NotBefore)
            {
                return new(MtlsRejectionReason.NotYetValid, i == 0 ? $"is not valid before {cert.NotBefore:u}" : $"{Cite(c, i)}is not valid before {cert.NotBefore:u}");
            }
        }

        return null;
    }

    private static Violation? WellFormedExtensions(PathContext c)
    {
        for (var i = 0; i < c.Path.Length; i++)
        {
            if (c.Path[i].Problems.Count > 0)
            {
                var problem = c.Path[i].Problems[0];
                return new(problem.Reason, $"{Who(c, i)} {problem.Text}");
            }
        }

        return null;
    }

    private static Violation? SerialNumber(PathContext c)
    {
        // The pinned anchor is trusted for its name and key (RFC 5280 §6.1.1): how it was issued is not judged.
        for (var i = 0; i < c.AnchorIndex || (c.Path.Length == 1 && i == 0); i++)
        {
            var (octets, positive) = c.Path[i].SerialFacts();
            if (!positive)
            {
                return new(MtlsRejectionReason.InvalidSerialNumber, $"{Who(c, i)} has a serial number that is zero or negative (RFC 5280 §4.1.2.2: a positive integer)");
            }

            if (octets > 20)
            {
                return new(MtlsRejectionReason.InvalidSerialNumber, $"{Who(c, i)} has a serial number of {octets} octets (RFC 5280 §4.1.2.2: at most 20)");
            }
        }

        return null;
    }

    private static Violation? BasicConstraints(PathContext c)
    {
        for (var i = 0; i < c.Path.Length; i++)
        {
            var bc = c.Path[i].BasicConstraints;
            if (i > 0 && bc is not { IsCa: true })
            {
                return new(MtlsRejectionReason.IntermediateNotCa, $"was issued by {c.Path[i].SubjectText}, which is not a CA certificate (no basic constraints with CA=true)");
            }

            if (i > 0 && bc is { Critical: false })
            {
                return new(MtlsRejectionReason.InvalidBasicConstraints, $"{Who(c, i)} is a CA whose basicConstraints extension is not critical (RFC 5280 §4.2.1.9: MUST be critical in CA certificates)");
            }

            if (bc is { IsCa: false, PathLength: not null })
            {
                return new(MtlsRejectionReason.InvalidBasicConstraints, $"{Who(c, i)} sets a path length constraint without CA=true (RFC 5280 §4.2.1.9)");
            }
        }

        return null;
    }

    private static Violation? PolicyConstraintsCritical(PathContext c)
    {
        for (var i = 0; i < c.AnchorIndex; i++)
        {
            if (c.Path[i].Extensions.Any(e => !e.Critical && e.Oid == X509Oids.PolicyConstraints))
            {
                return new(MtlsRejectionReason.MalformedExtension, $"{Who(c, i)} has a policyConstraints extension that is not critical (RFC 5280 §4.2.1.11: MUST be critical)");
            }
        }

        return null;
    }

    private static Violation? LeafIsNotCa(PathContext c) => c.Leaf.IsCa
        ? new(MtlsRejectionReason.LeafIsCa, "is a CA certificate; a peer must present an end-entity certificate")
        : null;

    private static Violation? KeyUsage(PathContext c)
    {
        for (var i = 0; i < c.Path.Length; i++)
        {
            var usage = c.Path[i].KeyUsage;
            if (usage is null)
            {
                continue;
            }

            if (!c.Path[i].IsCa && (usage.Value & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)) != 0)
            {
                return new(MtlsRejectionReason.KeyUsageNotAllowed, $"{Who(c, i)} is not a CA but its key usage ({usage}) asserts keyCertSign or cRLSign (RFC 5280 §4.2.1.3)");
            }

            if (i > 0 && (usage.Value & X509KeyUsageFlags.KeyCertSign) == 0)
            {
                return new(MtlsRejectionReason.KeyUsageNotAllowed, $"{Who(c, i)} signed a certificate but its key usage ({usage}) does not allow keyCertSign (RFC 5280 §4.2.1.3)");
            }
        }

        return null;
    }

    private static Violation? KeyIdentifiers(PathContext c)
    {
        var relax = c.Options.AllowMissingKeyIdentifiers;
        var key = c.Options.ValidationKey(nameof(PeerValidationOptions.AllowMissingKeyIdentifiers));

        // The pinned anchor is trusted for its name and key (RFC 5280 §6.1.1): its own key identifiers are not judged.
        var below = c.Path.Length == 1 ? 1 : c.AnchorIndex;
        for (var i = 0; i < below; i++)
        {
            if (c.Path[i].Extensions.Any(e => e.Critical && e.Oid is X509Oids.SubjectKeyIdentifier or X509Oids.AuthorityKeyIdentifier))
            {
                return new(MtlsRejectionReason.InvalidKeyIdentifier, $"{Who(c, i)} marks a key identifier extension critical (RFC 5280 §4.2.1.1-2: MUST NOT)");
            }
        }

        // The CAs' subject key identifiers first, from the anchor down: a missing SKI is why the next AKI is missing.
        for (var i = below - 1; i >= 1 && !relax; i--)
        {
            if (c.Path[i].SubjectKeyId is null)
            {
                return new(MtlsRejectionReason.MissingKeyIdentifier, $"{Who(c, i)} is a CA without a subjectKeyIdentifier (RFC 5280 §4.2.1.2; {key}=true relaxes this)");
            }
        }

        for (var i = below - 1; i >= 0; i--)
        {
            var cert = c.Path[i];
            var selfSigned = c.IsSelfSigned(i);
            if (!selfSigned && cert.AuthorityKeyId?.KeyId is null && !relax)
            {
                return new(MtlsRejectionReason.MissingKeyIdentifier, $"{Who(c, i)} has no authorityKeyIdentifier with a keyIdentifier (RFC 5280 §4.2.1.1; {key}=true relaxes this)");
            }

            if (selfSigned && cert.AuthorityKeyId?.KeyId is { } own && cert.SubjectKeyId is { } ski && !own.AsSpan().SequenceEqual(ski))
            {
                return new(MtlsRejectionReason.InvalidKeyIdentifier, $"{Who(c, i)} is self-signed but its authorityKeyIdentifier differs from its subjectKeyIdentifier (RFC 5280 §4.2.1.1)");
            }
        }

        return null;
    }

    private static Violation? SubjectName(PathContext c)
    {
        for (var i = 0; i < c.Path.Length; i++)
        {
            var cert = c.Path[i];
            if (i > 0 && cert.SubjectEmpty)
            {
                return new(MtlsRejectionReason.InvalidSubjectName, $"{Who(c, i)} is a CA with an empty subject (RFC 5280 §4.1.2.6)");
            }

            if (cert.SubjectEmpty && (cert.SubjectAltNames is null || !cert.SubjectAltNamesCritical))
            {
                return new(MtlsRejectionReason.InvalidSubjectName, $"{Who(c, i)} has an empty subject and {(cert.SubjectAltNames is null ? "no subjectAltName" : "a subjectAltName that is not critical")} (RFC 5280 §4.2.1.6)");
            }

            if (!cert.SubjectEmpty && cert.SubjectAltNames is not null && cert.SubjectAltNamesCritical)
            {
                return new(MtlsRejectionReason.InvalidSubjectName, $"{Who(c, i)} has a subject and a critical subjectAltName (RFC 5280 §4.2.1.6: critical only when the subject is empty)");
            }
        }

        return null;
    }

    private static Violation? PathLength(PathContext c)
    {
        for (var i = 1; i < c.Path.Length; i++)
        {
            if (c.Path[i].BasicConstraints?.PathLength is not { } limit)
            {
                continue;
            }

            var below = 0;
            for (var j = 1; j < i; j++)
            {
                if (!c.Path[j].IsSelfIssued)
                {
                    below++;
                }
            }

            if (below > limit)
            {
                return new(MtlsRejectionReason.PathLengthExceeded, $"is rejected: the path length constraint ({limit}) of {c.Describe(i)} is exceeded by {below} CA certificates below it");
            }
        }

        return null;
    }

    private static Violation? ChainDepth(PathContext c)
    {
        // The CA certificates above the leaf, the anchor included; self-issued intermediates are not counted (RFC 5280 §6.1).
        var depth = 0;
        for (var i = 1; i < c.Path.Length; i++)
        {
            if (i == c.AnchorIndex || !c.Path[i].IsSelfIssued)
            {
                depth++;
            }
        }

        return depth > c.Options.MaxChainDepth
            ? new(MtlsRejectionReason.ChainTooDeep, $"is {depth} CA certificates below its pinned anchor, the anchor included; at most {c.Options.MaxChainDepth} are allowed ({c.Options.EndpointKey(nameof(PeerValidationOptions.MaxChainDepth))}; self-issued intermediates are not counted)")
            : null;
    }

    private static Violation? SignatureAlgorithms(PathContext c)
    {
        for (var i = 0; i < c.AnchorIndex; i++)
        {
            var algorithm = c.Path[i].SignatureAlgorithm;
            if (Mtls.Extensions.Internal.Oids.IsWeakSignature(algorithm))
            {
                return new(MtlsRejectionReason.WeakSignatureAlgorithm, $"{Who(c, i)} is signed with {Mtls.Extensions.Internal.Oids.DescribeSignature(algorithm)}, which is not accepted");
            }
        }

        return null;
    }

    private static Violation? Keys(PathContext c)
    {
        // The leaf's key, and every key that signed something in the path: the anchor's included.
        for (var i = 0; i < c.Path.Length; i++)
        {
            if (c.Path[i].Key is { } key && KeyJudge.Judge(key, c.Options.MinimumRsaKeySize) is { } problem)
            {
                var relax = problem.Text.Contains("(at least", StringComparison.Ordinal)
                    ? $" ({c.Options.ValidationKey(nameof(PeerValidationOptions.MinimumRsaKeySize))} sets the minimum)"
                    : "";
                return new(problem.Reason, $"{Who(c, i)} has {problem.Text}{relax}");
            }
        }

        return null;
    }

    private static Violation? NameConstraints(PathContext c)
    {
        if (c.Leaf.NameConstraints is not null && c.Path.Length > 1)
        {
            return new(MtlsRejectionReason.InvalidNameConstraints, "is an end-entity certificate carrying name constraints (RFC 5280 §4.2.1.10: only in CA certificates)");
        }

        // Bounded work: the product of names and subtrees is counted before anything is compared.
        long cost = 0;
        for (var i = c.AnchorIndex; i >= 1; i--)
        {
            if (c.Path[i].NameConstraints is { } bounded)
            {
                for (var j = i - 1; j >= 0; j--)
                {
                    cost += NameConstraintsEvaluator.Cost(bounded, c.Path[j]);
                }
            }
        }

        if (cost > NameConstraintsEvaluator.ComparisonBudget)
        {
            return new(MtlsRejectionReason.NameConstraintsTooComplex, $"is rejected: its path needs {cost} name-constraint comparisons (names × subtrees); at most {NameConstraintsEvaluator.ComparisonBudget} are made");
        }

        for (var i = c.AnchorIndex; i >= 1; i--)
        {
            if (c.Path[i].NameConstraints is not { } constraints)
            {
                continue;
            }

            if (NameConstraintsEvaluator.ConstraintsProblem(constraints) is { } malformed)
            {
                return new(MtlsRejectionReason.InvalidNameConstraints, $"{Who(c, i)} has unusable name constraints: {malformed}");
            }

            for (var j = i - 1; j >= 0; j--)
            {
                if (j > 0 && c.Path[j].IsSelfIssued)
                {
                    continue; // RFC 5280 §6.1.3 b-c: not applied to self-issued intermediates
                }

                if (NameConstraintsEvaluator.Violation(constraints, c.Path[j], checkSubject: true) is { } violation)
                {
                    return new(MtlsRejectionReason.NameConstraintsViolated, $"is outside the name constraints of {c.Describe(i)}: {(j == 0 ? "" : c.Describe(j) + ": ")}{violation}");
                }
            }
        }

        return null;
    }

    private static Violation? DnsNames(PathContext c)
    {
        foreach (var name in c.Leaf.SubjectAltNames ?? [])
        {
            if (name.Tag == GeneralName.Dns && DnsNameSyntax.Problem(name.Text!) is { } problem)
            {
                return new(MtlsRejectionReason.InvalidDnsName, $"has the DNS SAN '{name.Text}', which has {problem} (RFC 5280 §4.2.1.6 preferred name syntax; CA/B BR §7.1.2.7.12)");
            }
        }

        return null;
    }

    private static Violation? LeafExtendedKeyUsage(PathContext c)
    {
        var (required, requiredName) = Required(c.Role);
        if (c.Leaf.ExtendedKeyUsages is not { } ekus)
        {
            // X509-SVID §4.4: an SVID SHOULD carry an extended key usage, and go-spiffe accepts one without. Where the endpoint
            // takes SPIFFE identities, a leaf whose only URI SAN is a SPIFFE ID is accepted without it; non-SPIFFE peers keep the rule.
            return c.Options.AllowMissingExtendedKeyUsage || (c.Options.SpiffeRequired && HasOnlySpiffeUri(c.Leaf))
                ? null
                : new(MtlsRejectionReason.MissingExtendedKeyUsage, $"has no extended key usage; {requiredName} is required ({c.Options.EndpointKey(nameof(PeerValidationOptions.AllowMissingExtendedKeyUsage))}=true relaxes this)");
        }

        return ekus.Contains(required)
            ? null
            : new(MtlsRejectionReason.WrongUsage, $"is not valid for the {c.Role.ToString().ToLowerInvariant()} role: the leaf's own extended key usage is [{string.Join(", ", ekus.Select(Name))}], {requiredName} is required{(ekus.Contains(X509Oids.AnyExtendedKeyUsage) ? " (anyExtendedKeyUsage does not stand in for it)" : "")}");
    }

    private static bool HasOnlySpiffeUri(ParsedCertificate leaf)
    {
        string? uri = null;
        foreach (var name in leaf.SubjectAltNames ?? [])
        {
            if (name.Tag == GeneralName.Uri)
            {
                if (uri is not null)
                {
                    return false;
                }

                uri = name.Text;
            }
        }

        return uri is not null && SpiffeId.TryParse(uri, out _);
    }

    private static Violation? IssuerExtendedKeyUsage(PathContext c)
    {
        var (required, requiredName) = Required(c.Role);
        for (var i = 1; i < c.Path.Length; i++)
        {
            if (c.Path[i].ExtendedKeyUsages is { } ekus && !ekus.Contains(required) && !ekus.Contains(X509Oids.AnyExtendedKeyUsage))
            {
                return new(MtlsRejectionReason.WrongUsage, $"{Cite(c, i)}constrains its extended key usage to [{string.Join(", ", ekus.Select(Name))}]: the issuing CA does not allow {requiredName}");
            }
        }

        return null;
    }

    private static Violation? LeafDigitalSignature(PathContext c) =>
        c.Leaf.KeyUsage is { } usage && (usage & X509KeyUsageFlags.DigitalSignature) == 0
            ? new(MtlsRejectionReason.KeyUsageNotAllowed, $"has a key usage extension ({usage}) without digitalSignature, which TLS authentication needs")
            : null;

    private static Violation? WebPkiCaAuthorityKeyIdentifier(PathContext c)
    {
        for (var i = 1; i < c.AnchorIndex; i++)
        {
            if (c.Path[i].AuthorityKeyId is { } aki && (aki.HasIssuer || aki.HasSerial))
            {
                return new(MtlsRejectionReason.InvalidKeyIdentifier, $"{Who(c, i)} is a CA whose authorityKeyIdentifier carries authorityCertIssuer/authorityCertSerialNumber (CA/B BR §7.1.2; WebPki profile)");
            }
        }

        return null;
    }

    private static Violation? WebPkiRootExtendedKeyUsage(PathContext c)
    {
        var root = c.Path[c.AnchorIndex];
        return c.Path.Length > 1 && root.IsSelfIssued && root.ExtendedKeyUsages is not null
            ? new(MtlsRejectionReason.WrongUsage, $"{Who(c, c.AnchorIndex)} is a root carrying an extended key usage extension (CA/B BR §7.1.2.1.2: a root has none; WebPki profile)")
            : null;
    }

    private static Violation? WebPkiRootAuthorityKeyIdentifier(PathContext c)
    {
        var root = c.Path[c.AnchorIndex];
        return c.Path.Length > 1 && root.IsSelfIssued && root.AuthorityKeyId is { KeyId: null }
            ? new(MtlsRejectionReason.InvalidKeyIdentifier, $"{Who(c, c.AnchorIndex)} is a root whose authorityKeyIdentifier carries no keyIdentifier (CA/B BR §7.1.2.1.3; WebPki profile)")
            : null;
    }

    private static Violation? WebPkiLeafExtendedKeyUsage(PathContext c)
    {
        if (c.Leaf.Extensions.Any(e => e.Critical && e.Oid == X509Oids.ExtendedKeyUsage))
        {
            return new(MtlsRejectionReason.WrongUsage, "marks its extended key usage extension critical (CA/B BR §7.1.2.7.10: MUST NOT; WebPki profile)");
        }

        return c.Leaf.ExtendedKeyUsages is { } ekus && ekus.Contains(X509Oids.AnyExtendedKeyUsage)
            ? new(MtlsRejectionReason.WrongUsage, "has anyExtendedKeyUsage in its extended key usage (CA/B BR §7.1.2.7.10: MUST NOT; WebPki profile)")
            : null;
    }

    /// <summary>
    /// CA/B BR §7.1.4.3 (WebPki profile only): a server certificate's CN, when present, is a character-for-character copy of
    /// one of its SANs: a dNSName as written, or an IP address in its canonical text (dotted decimal, RFC 5952 for IPv6).
    /// </summary>
    private static Violation? WebPkiCommonName(PathContext c)
    {
        if (c.Role != PeerRole.Server || c.Options.AllowCommonNameNotInSubjectAltNames)
        {
            return null;
        }

        foreach (var cn in c.Leaf.CommonNames)
        {
            if (!SanListed(c.Leaf, cn))
            {
                return new(MtlsRejectionReason.CommonNameNotInSubjectAltNames,
                    $"has the common name '{cn}', which is not a character-for-character copy of one of its SANs (CA/B BR §7.1.4.3; WebPki profile; {c.Options.ValidationKey(nameof(PeerValidationOptions.AllowCommonNameNotInSubjectAltNames))}=true relaxes this, {c.Options.ValidationKey(nameof(PeerValidationOptions.Profile))}=Rfc5280 ignores the CN)");
            }
        }

        return null;
    }

    private static bool SanListed(ParsedCertificate leaf, string cn)
    {
        foreach (var san in leaf.SubjectAltNames ?? [])
        {
            if (san.Tag == GeneralName.Dns && string.Equals(san.Text, cn, StringComparison.Ordinal))
            {
                return true;
            }

            if (san.Tag == GeneralName.Ip && san.Bytes.Length is 4 or 16 && string.Equals(new IPAddress(san.Bytes.Span).ToString(), cn, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static (string Oid, string Name) Required(PeerRole role) =>
        role == PeerRole.Client ? (X509Oids.ClientAuth, "clientAuth") : (X509Oids.ServerAuth, "serverAuth");

    private static string Name(string oid) => oid switch
    {
        X509Oids.ClientAuth => "clientAuth",
        X509Oids.ServerAuth => "serverAuth",
        X509Oids.AnyExtendedKeyUsage => "anyExtendedKeyUsage",
        _ => oid,
    };

    private static string Who(PathContext c, int i) => i == 0 ? "" : $"chains through {c.Describe(i)}, which";
}
