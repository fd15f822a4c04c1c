using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions;

/// <summary>
/// The one place where trust is decided, for servers (judging client certificates) and clients (judging
/// server certificates) alike. Trust comes only from the pinned anchors of a <see cref="TrustBundle"/>
/// (compared by bytes, never by name); nothing is downloaded; the intermediates the peer sent are used
/// for path building; an exception thrown by the platform's chain engine is a rejection, never a crash.
/// </summary>
public sealed class PeerCertificateValidator
{
    private static readonly Oid ClientAuthOid = new(Oids.ClientAuth, "Client Authentication");
    private static readonly Oid ServerAuthOid = new(Oids.ServerAuth, "Server Authentication");
    private static readonly PeerValidationOptions DefaultOptions = new();

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MtlsMetrics? _metrics;
    private readonly PeerValidationLog _log;

    /// <summary>Initializes a new instance of the <see cref="PeerCertificateValidator"/> class.</summary>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    public PeerCertificateValidator(TimeProvider? timeProvider = null)
        : this(timeProvider ?? TimeProvider.System, null, null)
    {
    }

    internal PeerCertificateValidator(TimeProvider timeProvider, ILogger? logger, MtlsMetrics? metrics, RejectionLogLimiter? rejections = null)
    {
        _time = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _log = new PeerValidationLog(_logger, rejections ?? new RejectionLogLimiter(_logger, timeProvider, static () => new MtlsLoggingOptions()));
    }

    /// <summary>
    /// Gets how many <see cref="X509Chain"/>s this validator built itself; for tests and benchmarks. Always 0: paths are
    /// built and verified by the library's own path builder, and the chain SslStream built is only a hint.
    /// </summary>
#pragma warning disable CA1822 // an instance member, so that callers keep asking the validator they use
    internal long OwnChainBuilds => 0;
#pragma warning restore CA1822

    /// <summary>
    /// Creates the chain policy to hand to <see cref="System.Net.Security.SslStream"/>
    /// (<c>CertificateChainPolicy</c>) so that the handshake builds the one chain that
    /// <see cref="ValidateBuiltChain"/> then judges: custom root trust with only the pinned anchors, no
    /// downloads, no revocation fetching, the role's EKU, verification at the <see cref="TimeProvider"/>'s time.
    /// </summary>
    /// <param name="trust">The pinned anchors.</param>
    /// <param name="role">The role of the peer to be judged.</param>
    /// <param name="verificationTimeIgnored">
    /// <see langword="true"/> to verify at the time the chain is built (for a policy reused across connections);
    /// validity is re-checked against the <see cref="TimeProvider"/> either way.
    /// </param>
    /// <returns>A new policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trust"/> is <see langword="null"/>.</exception>
    internal X509ChainPolicy CreateChainPolicy(TrustBundle trust, PeerRole role, bool verificationTimeIgnored = false)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        if (!verificationTimeIgnored)
        {
            policy.VerificationTime = _time.GetLocalNow().DateTime;
        }

        policy.CustomTrustStore.AddRange(trust.Collection);
        policy.ApplicationPolicy.Add(role == PeerRole.Client ? ClientAuthOid : ServerAuthOid);
        return policy;
    }

    /// <summary>Validates a peer certificate, building its chain once.</summary>
    /// <param name="certificate">The peer's leaf; <see langword="null"/> when it sent none.</param>
    /// <param name="peerIntermediates">The intermediates the peer sent.</param>
    /// <param name="trust">The pinned anchors.</param>
    /// <param name="role">The peer's role.</param>
    /// <param name="options">Strictness and allowed identities; defaults apply when <see langword="null"/>.</param>
    /// <param name="expectedHostName">For a server: the host the client connected to, matched against DNS/IP SANs (never the CN).</param>
    /// <returns>The verdict.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trust"/> is <see langword="null"/>.</exception>
    public PeerValidationResult Validate(X509Certificate2? certificate, X509Certificate2Collection? peerIntermediates, TrustBundle trust, PeerRole role, PeerValidationOptions? options = null, string? expectedHostName = null)
    {
        ArgumentNullException.ThrowIfNull(trust);
        return Report(ValidateCore(certificate, null, peerIntermediates, trust.ForPeer(certificate), role, options ?? DefaultOptions, expectedHostName));
    }

    /// <summary>Validates a peer certificate given as DER bytes; bytes that do not parse are <see cref="MtlsRejectionReason.MalformedCertificate"/>.</summary>
    /// <param name="certificateDer">The peer's leaf, DER encoded.</param>
    /// <param name="peerIntermediates">The intermediates the peer sent.</param>
    /// <param name="trust">The pinned anchors.</param>
    /// <param name="role">The peer's role.</param>
    /// <param name="options">Strictness and allowed identities.</param>
    /// <param name="expectedHostName">For a server: the expected host name.</param>
    /// <returns>The verdict.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trust"/> is <see langword="null"/>.</exception>
    public PeerValidationResult Validate(ReadOnlySpan<byte> certificateDer, X509Certificate2Collection? peerIntermediates, TrustBundle trust, PeerRole role, PeerValidationOptions? options = null, string? expectedHostName = null)
    {
        ArgumentNullException.ThrowIfNull(trust);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        }
        catch (CryptographicException ex)
        {
            return Report(PeerValidationResult.Failure(role, MtlsRejectionReason.MalformedCertificate, $"The {Describe(role)} certificate ({certificateDer.Length} bytes) is not a valid X.509 certificate: {ex.Message}"));
        }

        using (certificate)
        {
            return Validate(certificate, peerIntermediates, trust, role, options, expectedHostName);
        }
    }

    /// <summary>
    /// Judges a chain that <see cref="System.Net.Security.SslStream"/> already built during the handshake with
    /// a policy from <see cref="CreateChainPolicy"/>: no second chain build. A chain built with any other
    /// policy (or no chain) is rebuilt with the pinned policy, so trust never comes from elsewhere.
    /// </summary>
    /// <param name="certificate">The peer's leaf.</param>
    /// <param name="chain">The chain the handshake built.</param>
    /// <param name="trust">The pinned anchors.</param>
    /// <param name="role">The peer's role.</param>
    /// <param name="options">Strictness and allowed identities.</param>
    /// <param name="expectedHostName">For a server: the expected host name.</param>
    /// <returns>The verdict.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trust"/> is <see langword="null"/>.</exception>
    public PeerValidationResult ValidateBuiltChain(X509Certificate2? certificate, X509Chain? chain, TrustBundle trust, PeerRole role, PeerValidationOptions? options = null, string? expectedHostName = null)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var usable = chain is not null && IsPinnedPolicy(chain.ChainPolicy, trust) && chain.ChainElements.Count > 0;
        return Report(ValidateCore(certificate, usable ? chain : null, chain?.ChainPolicy.ExtraStore, trust.ForPeer(certificate), role, options ?? DefaultOptions, expectedHostName));
    }

    private static bool IsPinnedPolicy(X509ChainPolicy policy, TrustBundle trust)
    {
        if (policy.TrustMode != X509ChainTrustMode.CustomRootTrust || !policy.DisableCertificateDownloads || policy.CustomTrustStore.Count != trust.Anchors.Count)
        {
            return false;
        }

        foreach (var anchor in policy.CustomTrustStore)
        {
            if (!trust.Contains(anchor))
            {
                return false;
            }
        }

        return true;
    }

    private PeerValidationResult ValidateCore(X509Certificate2? leaf, X509Chain? builtChain, X509Certificate2Collection? extra, TrustBundle trust, PeerRole role, PeerValidationOptions options, string? expectedHostName)
    {
        if (leaf is null)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.NoCertificate, $"The {Describe(role)} presented no certificate.");
        }

        var cache = CertificateJudgementCache.For(trust);
        ParsedCertificate parsedLeaf;
        bool leafCached;
        try
        {
            parsedLeaf = cache.Get(leaf, out leafCached);
        }
        catch (CryptographicException ex)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.MalformedCertificate, $"The {Describe(role)} certificate {leaf.Subject} is malformed: {ex.Message}", BestEffortIdentity(leaf));
        }

        // The identity authorization sees is built from the names the validator judges (one decoding per handshake).
        PeerIdentity identity;
        try
        {
            identity = PeerIdentity.FromParsed(leaf, parsedLeaf);
        }
        catch (CryptographicException ex)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.MalformedCertificate, $"The {Describe(role)} certificate {leaf.Subject} cannot be parsed: {ex.Message}");
        }

        var name = Name(identity);
        var pool = new List<ParsedCertificate>();
        try
        {
            if (extra is not null)
            {
                if (extra.Count > options.MaxPeerIntermediates + 1)
                {
                    return PeerValidationResult.Failure(role, MtlsRejectionReason.PathBuildingLimitExceeded,
                        $"The {Describe(role)} certificate {name} came with {extra.Count} other certificates; at most {options.MaxPeerIntermediates} are considered ({options.ValidationKey(nameof(PeerValidationOptions.MaxPeerIntermediates))}).", identity);
                }

                foreach (var certificate in extra)
                {
                    ParsedCertificate parsed;
                    try
                    {
                        parsed = cache.Get(certificate, out _);
                    }
                    catch (CryptographicException)
                    {
                        continue; // an extra certificate that does not parse cannot be part of a path; the peer's leaf is judged without it
                    }

                    if (parsed.Hash != parsedLeaf.Hash && !pool.Exists(p => p.Hash == parsed.Hash))
                    {
                        pool.Add(parsed);
                    }
                }
            }

            HashSet<(CertificateHash, CertificateHash)>? preverified = null;
            if (!leafCached && builtChain is not null)
            {
                preverified = PlatformVerifiedEdges(builtChain, cache);
            }

            return Judge(parsedLeaf, identity, pool, preverified, cache, trust, role, options, expectedHostName);
        }
        catch (CryptographicException ex)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.MalformedCertificate, $"The {Describe(role)} certificate {name} (or a certificate sent with it) is malformed: {ex.Message}", identity);
        }
    }

    /// <summary>Who sent a leaf that is not strict DER, for the rejection's log line only (the same SAN decoder, over the extension alone).</summary>
    private static PeerIdentity? BestEffortIdentity(X509Certificate2 leaf)
    {
        try
        {
            return PeerIdentity.FromCertificate(leaf);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// The signatures the platform already verified in the chain SslStream built with the pinned policy (an anchored chain
    /// without NotSignatureValid), so that a new leaf's signature is not verified twice in one handshake.
    /// </summary>
    private static HashSet<(CertificateHash, CertificateHash)>? PlatformVerifiedEdges(X509Chain chain, CertificateJudgementCache cache)
    {
        var elements = chain.ChainElements;
        var hashes = new CertificateHash[elements.Count];
        var valid = elements.Count >= 2;
        for (var i = 0; i < elements.Count; i++)
        {
            var element = elements[i];
            using var certificate = element.Certificate;
            hashes[i] = CertificateHash.Of(certificate.RawDataMemory.Span);
            foreach (var status in element.ChainElementStatus)
            {
                valid &= (status.Status & X509ChainStatusFlags.NotSignatureValid) == 0;
            }
        }

        if (!valid || !cache.AnchorHashes.Contains(hashes[^1]))
        {
            return null;
        }

        var edges = new HashSet<(CertificateHash, CertificateHash)>();
        for (var i = 0; i + 1 < hashes.Length; i++)
        {
            edges.Add((hashes[i], hashes[i + 1]));
        }

        return edges;
    }

    private PeerValidationResult Judge(ParsedCertificate leaf, PeerIdentity identity, List<ParsedCertificate> pool, HashSet<(CertificateHash, CertificateHash)>? preverified, CertificateJudgementCache cache, TrustBundle trust, PeerRole role, PeerValidationOptions options, string? expectedHostName)
    {
        var name = Name(identity);
        var now = _time.GetUtcNow();
        var builder = new PathBuilder(cache, pool, preverified, now, options.MaxCandidatePaths, options.MaxSignatureVerifications);
        PeerValidationResult? firstFailure = null;
        var furthest = -1;
        PeerValidationResult? accepted = null;
        builder.Build(leaf, path =>
        {
            // Of several failed candidate paths, the one that passed the most rules is reported (the first on a tie),
            // not the last one discarded.
            var context = new PathContext(path, role, options, now);
            var violation = ProfileChecks.Run(context, out var passed);
            if (violation is null)
            {
                violation = RevocationCheck(context, identity) ?? IdentityChecks(context, identity, expectedHostName);
                passed++;
            }

            if (violation is { } v)
            {
                if (passed > furthest)
                {
                    furthest = passed;
                    firstFailure = Fail(v.Reason, $"The {Describe(role)} certificate {name} {v.Text.TrimStart()}.");
                }

                return false;
            }

            cache.Remember(path);
            accepted = PeerValidationResult.Success(role, identity);
            return true;
        });

        if (accepted is not null)
        {
            return accepted;
        }

        if (builder.LimitExceeded)
        {
            return Fail(MtlsRejectionReason.PathBuildingLimitExceeded,
                $"The {Describe(role)} certificate {name} is rejected: path building stopped after {builder.PathsOffered} candidate paths and {builder.SignaturesVerified} signature verifications ({options.ValidationKey(nameof(PeerValidationOptions.MaxCandidatePaths))} {options.MaxCandidatePaths}, {options.ValidationKey(nameof(PeerValidationOptions.MaxSignatureVerifications))} {options.MaxSignatureVerifications}){(firstFailure is null ? "" : $"; the path that got furthest failed with {firstFailure.Reason}")}.");
        }

        return firstFailure ?? Unanchored(leaf, identity, builder, cache, trust, role);

        PeerValidationResult Fail(MtlsRejectionReason reason, string message) => PeerValidationResult.Failure(role, reason, message, identity);
    }

    /// <summary>The revocation step: the denylist and the CRL files in force now (nothing is fetched).</summary>
    private static Violation? RevocationCheck(PathContext context, PeerIdentity identity) => context.Options.Revocation.Check(context, identity);

    private static Violation? IdentityChecks(PathContext context, PeerIdentity identity, string? expectedHostName)
    {
        var role = context.Role;
        var options = context.Options;
        if (identity.SpiffeId is null && identity.SpiffeIdError is not null && !identity.HasMultipleUriSans)
        {
            return new(MtlsRejectionReason.InvalidSpiffeId, $"has URI SAN '{identity.Uris[0]}', which is not a valid SPIFFE ID: {identity.SpiffeIdError}");
        }

        if (options.SpiffeRequired && identity.SpiffeId is null)
        {
            return identity.HasMultipleUriSans
                ? new(MtlsRejectionReason.MultipleUriSans, $"has {identity.Uris.Count} URI SANs ({string.Join(", ", identity.Uris)}); an X.509 SVID has exactly one, so it has no SPIFFE ID")
                : new(MtlsRejectionReason.MissingSpiffeId, "has no SPIFFE ID (no URI SAN), and a SPIFFE identity is required");
        }

        if (options.SpiffeRequired && X509SvidRules.Check(context, identity) is { } svid)
        {
            return svid;
        }

        if (options.AllowedPeers.Count > 0)
        {
            foreach (var pattern in options.AllowedPeers)
            {
                // A client's wildcard SAN never stands in for a specific allowed peer; a server's keeps its RFC 6125 meaning.
                if (pattern.Matches(identity, role))
                {
                    return null;
                }
            }

            return new(MtlsRejectionReason.IdentityNotAllowed, $"is valid but its identity ({IdentitySummary(identity)}) is not allowed; expected one of: {string.Join(", ", options.AllowedPeers)}");
        }

        if (expectedHostName is not null)
        {
            if (!MatchesHost(identity, expectedHostName))
            {
                return new(MtlsRejectionReason.NameMismatch, $"is not valid for host '{expectedHostName}': its DNS/IP SANs are [{string.Join(", ", identity.DnsNames.Concat(identity.IpAddresses.Select(a => a.ToString())))}] (the CN is never used)");
            }
        }

        return null;
    }

    private static PeerValidationResult Unanchored(ParsedCertificate leaf, PeerIdentity identity, PathBuilder builder, CertificateJudgementCache cache, TrustBundle trust, PeerRole role)
    {
        var name = Name(identity);
        var malformedAnchors = cache.AnchorProblems.Count == 0 ? "" : $" ({string.Join("; ", cache.AnchorProblems)})";
        var deadEnd = builder.LongestDeadEnd ?? [leaf];
        var top = deadEnd[^1];
        var topIssuer = new X500DistinguishedName(top.Issuer.Span).Name;
        var sameName = cache.Anchors.FirstOrDefault(a => a.Subject.Span.SequenceEqual(top.Subject.Span) && a.Hash != top.Hash);
        var domain = TrustDomainHint(top, trust);
        if (builder.ImpostorNamed is { } named)
        {
            return Refuse(MtlsRejectionReason.UntrustedRoot,
                $"The {Describe(role)} certificate {name} chains to {topIssuer}, which has the name of a pinned CA ({named.SubjectText}) but not its key: an impostor CA (the pinned CA's key did not sign {(top == leaf ? "it" : top.SubjectText)}). Pinned: {trust.Describe()}{malformedAnchors}.", identity);
        }

        if (sameName is not null)
        {
            return Refuse(MtlsRejectionReason.UntrustedRoot,
                $"The {Describe(role)} certificate {name} chains to {top.SubjectText} (SHA-256 {Hex(top)}…), which has the name of a pinned CA but not its key or bytes: an impostor CA. Pinned: {trust.Describe()}{malformedAnchors}.", identity);
        }

        if (builder.BadSignatureFrom is { } bad)
        {
            return Refuse(MtlsRejectionReason.InvalidSignature,
                $"The {Describe(role)} certificate {name} is rejected: a signature in the chain does not verify ({bad.SubjectText} did not sign {(top == leaf ? "the leaf" : top.SubjectText)}). Pinned: {trust.Describe()}.", identity);
        }

        if (deadEnd.Length == 1 && top.IsSelfIssued)
        {
            return Refuse(MtlsRejectionReason.SelfSigned,
                $"The {Describe(role)} certificate {name} is self-signed and is not issued by a pinned CA. Pinned: {trust.Describe()}{malformedAnchors}.", identity);
        }

        if (!top.IsSelfIssued)
        {
            // The top issuer is not a pinned anchor. Only an issuer known to chain to a pinned anchor (one of this snapshot's
            // accepted paths) makes this a missing intermediate; any other is a foreign CA, reported as UntrustedRoot so
            // that every foreign client is seen under one reason.
            var keyId = top.AuthorityKeyId?.KeyId is { } aki ? $"key identifier {Convert.ToHexString(aki.AsSpan(0, Math.Min(aki.Length, 32)))}{(aki.Length > 32 ? "…" : "")}" : "no authority key identifier";
            if (cache.IsKnownIntermediate(top.Issuer.Span, top.AuthorityKeyId?.KeyId))
            {
                return Refuse(MtlsRejectionReason.PartialChain,
                    $"The {Describe(role)} certificate {name} does not chain to a pinned CA: the issuer {topIssuer} ({keyId}) of {top.SubjectText} is an intermediate below a pinned CA, but the peer did not send it: the peer must send its intermediates (nothing is ever downloaded). Pinned: {trust.Describe()}{malformedAnchors}.", identity);
            }

            return Refuse(MtlsRejectionReason.UntrustedRoot,
                $"The {Describe(role)} certificate {name} does not chain to a pinned CA: {top.SubjectText} was issued by {topIssuer} ({keyId}), which is not pinned and was not sent by the peer: a CA not trusted here (if it is an intermediate below a pinned CA, the peer must send it; nothing is ever downloaded). Pinned: {trust.Describe()}{malformedAnchors}.", identity);
        }

        return Refuse(MtlsRejectionReason.UntrustedRoot,
            $"The {Describe(role)} certificate {name} chains to {top.SubjectText} (SHA-256 {Hex(top)}…), which is not pinned. Pinned: {trust.Describe()}{malformedAnchors}.", identity);

        PeerValidationResult Refuse(MtlsRejectionReason reason, string message, PeerIdentity peer) => PeerValidationResult.Failure(role, reason, message + domain, peer);
    }

    /// <summary>
    /// For a peer judged against one trust domain's bundle: says so, and names the trust domain whose anchor did sign the
    /// top of the peer's chain, if one did (invariant 14: that anchor never vouches for another domain).
    /// </summary>
    private static string TrustDomainHint(ParsedCertificate top, TrustBundle trust)
    {
        if (trust is not { TrustDomainName: { } own, Federation: { } federation })
        {
            return "";
        }

        foreach (var (other, bundle) in federation.TrustDomains)
        {
            if (other == own)
            {
                continue;
            }

            foreach (var anchor in CertificateJudgementCache.For(bundle).Anchors)
            {
                if ((anchor.Hash == top.Hash || (anchor.Subject.Span.SequenceEqual(top.Issuer.Span) && SignatureVerifier.Verify(top, anchor) == SignatureCheck.Valid)))
                {
                    return $" The peer's SPIFFE ID is in the trust domain {own}, and only {own}'s bundle vouches for it; its chain ends at {anchor.SubjectText}, an anchor of the trust domain {other}, which never vouches for {own}.";
                }
            }
        }

        return $" The peer's SPIFFE ID is in the trust domain {own}; only {own}'s bundle vouches for it.";
    }

    private static string Hex(ParsedCertificate certificate) => Convert.ToHexString(SHA256.HashData(certificate.Raw))[..16];

    private static bool MatchesHost(PeerIdentity identity, string host)
    {
        if (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            return identity.IpAddresses.Any(a => a.Equals(ip));
        }

        string wanted;
        try
        {
            wanted = new System.Globalization.IdnMapping().GetAscii(host.TrimEnd('.'));
        }
        catch (ArgumentException)
        {
            return false;
        }

        // One wildcard rule for the whole library: the same matcher decides AllowedPeers/ExpectedServer DNS patterns.
        return identity.DnsNames.Any(dns => PeerIdentityPattern.DnsMatches(dns, wanted));
    }

    private PeerValidationResult Report(PeerValidationResult result)
    {
        // Every verdict is counted; logging is rate-limited and escapes what the peer wrote.
        _metrics?.Validated(result.Role, result.Reason);
        _log.Report(result);
        return result;
    }

    private static string Describe(PeerRole role) => role == PeerRole.Client ? "client" : "server";

    private static string Name(PeerIdentity identity) => $"{identity.Subject} (SHA-256 {identity.ThumbprintSha256[..16]}…)";

    private static string IdentitySummary(PeerIdentity identity) =>
        identity.SpiffeId is { } id ? $"SPIFFE ID {id}" :
        identity.DnsNames.Count > 0 ? $"DNS {string.Join(", ", identity.DnsNames)}" : $"subject {identity.Subject}";

}
