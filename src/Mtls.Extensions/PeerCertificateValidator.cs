using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions;

/// <summary>
/// The one place where trust is decided, for servers (judging client certificates) and clients (judging
/// server certificates) alike. Trust comes only from the pinned anchors of a <see cref="TrustBundle"/>
/// (compared by bytes, never by name); nothing is downloaded; the intermediates the peer sent are used
/// for path building; an exception thrown by the platform's chain engine is a rejection, never a crash.
/// </summary>
public sealed class PeerCertificateValidator
{
    private const X509ChainStatusFlags IgnoredFlags =
        X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested | // checked explicitly against TimeProvider
        X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | // anchoring is decided by bytes below
        X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;

    private const X509ChainStatusFlags NameConstraintFlags =
        X509ChainStatusFlags.HasNotPermittedNameConstraint | X509ChainStatusFlags.HasExcludedNameConstraint |
        X509ChainStatusFlags.HasNotSupportedNameConstraint | X509ChainStatusFlags.HasNotDefinedNameConstraint |
        X509ChainStatusFlags.InvalidNameConstraints;

    private static readonly Oid ClientAuthOid = new(Oids.ClientAuth, "Client Authentication");
    private static readonly Oid ServerAuthOid = new(Oids.ServerAuth, "Server Authentication");
    private static readonly PeerValidationOptions DefaultOptions = new();

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MtlsMetrics? _metrics;
    private long _ownChainBuilds;

    /// <summary>Initializes a new instance of the <see cref="PeerCertificateValidator"/> class.</summary>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    public PeerCertificateValidator(TimeProvider? timeProvider = null)
        : this(timeProvider ?? TimeProvider.System, null, null)
    {
    }

    internal PeerCertificateValidator(TimeProvider timeProvider, ILogger? logger, MtlsMetrics? metrics)
    {
        _time = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
    }

    /// <summary>Gets how many chains this validator built itself (rather than judging one SslStream built); for tests and benchmarks.</summary>
    internal long OwnChainBuilds => Interlocked.Read(ref _ownChainBuilds);

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
    public X509ChainPolicy CreateChainPolicy(TrustBundle trust, PeerRole role, bool verificationTimeIgnored = false)
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

        PeerIdentity identity;
        try
        {
            identity = PeerIdentity.FromCertificate(leaf);
        }
        catch (CryptographicException ex)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.MalformedCertificate, $"The {Describe(role)} certificate {leaf.Subject} cannot be parsed: {ex.Message}");
        }

        X509Chain? ownChain = null;
        try
        {
            var chain = builtChain;
            if (chain is null)
            {
                ownChain = new X509Chain { ChainPolicy = CreateChainPolicy(trust, role) };
                if (extra is not null)
                {
                    ownChain.ChainPolicy.ExtraStore.AddRange(extra);
                }

                Interlocked.Increment(ref _ownChainBuilds);
                ownChain.Build(leaf);
                chain = ownChain;
            }

            return Evaluate(leaf, identity, chain, trust, role, options, expectedHostName);
        }
        catch (CryptographicException ex)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.MalformedCertificate, $"The {Describe(role)} certificate {Name(identity)} could not be validated; the chain engine failed on it: {ex.Message}", identity);
        }
        finally
        {
            if (ownChain is not null)
            {
                DisposeChain(ownChain);
            }
        }
    }

    private PeerValidationResult Evaluate(X509Certificate2 leaf, PeerIdentity identity, X509Chain chain, TrustBundle trust, PeerRole role, PeerValidationOptions options, string? expectedHostName)
    {
        var elements = chain.ChainElements;
        var count = elements.Count;
        var certs = new X509Certificate2[count];
        var flags = new X509ChainStatusFlags[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                var element = elements[i];
                certs[i] = element.Certificate;
                foreach (var status in element.ChainElementStatus)
                {
                    flags[i] |= status.Status;
                }
            }

            var anchorIndex = -1;
            for (var i = 0; i < count; i++)
            {
                if (trust.Contains(certs[i]))
                {
                    anchorIndex = i;
                    break;
                }
            }

            return anchorIndex < 0
                ? Unanchored(identity, certs, flags, chain, trust, role)
                : Anchored(leaf, identity, certs, flags, anchorIndex, role, options, expectedHostName);
        }
        finally
        {
            foreach (var cert in certs)
            {
                cert?.Dispose();
            }
        }
    }

    private static PeerValidationResult Unanchored(PeerIdentity identity, X509Certificate2[] certs, X509ChainStatusFlags[] flags, X509Chain chain, TrustBundle trust, PeerRole role)
    {
        var name = Name(identity);
        var top = certs.Length > 0 ? certs[^1] : null;
        var chainFlags = X509ChainStatusFlags.NoError;
        foreach (var status in chain.ChainStatus)
        {
            chainFlags |= status.Status;
        }

        var sameName = top is null ? null : trust.Anchors.FirstOrDefault(a => a.SubjectName.RawData.AsSpan().SequenceEqual(top.SubjectName.RawData) || a.SubjectName.RawData.AsSpan().SequenceEqual(top.IssuerName.RawData));
        if (sameName is not null && top is not null)
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.UntrustedRoot,
                $"The {Describe(role)} certificate {name} chains to {top.Subject} (SHA-256 {Sha256(top)[..16]}…), which has the name of a pinned CA but not its key or bytes: an impostor CA. Pinned: {trust.Describe()}.", identity);
        }

        if (certs.Length == 1 && certs[0].SubjectName.RawData.AsSpan().SequenceEqual(certs[0].IssuerName.RawData))
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.SelfSigned,
                $"The {Describe(role)} certificate {name} is self-signed and is not issued by a pinned CA. Pinned: {trust.Describe()}.", identity);
        }

        if ((chainFlags & X509ChainStatusFlags.PartialChain) != 0 || (top is not null && !top.SubjectName.RawData.AsSpan().SequenceEqual(top.IssuerName.RawData)))
        {
            return PeerValidationResult.Failure(role, MtlsRejectionReason.PartialChain,
                $"The {Describe(role)} certificate {name} does not chain to a pinned CA: the issuer {top?.Issuer} of {top?.Subject} is not pinned and was not sent by the peer: either the peer's CA is not trusted here, or the peer must send its intermediates (nothing is ever downloaded). Pinned: {trust.Describe()}.", identity);
        }

        return PeerValidationResult.Failure(role, MtlsRejectionReason.UntrustedRoot,
            $"The {Describe(role)} certificate {name} chains to {top?.Subject} (SHA-256 {(top is null ? "?" : Sha256(top)[..16])}…), which is not pinned. Pinned: {trust.Describe()}.", identity);
    }

    private PeerValidationResult Anchored(X509Certificate2 leaf, PeerIdentity identity, X509Certificate2[] certs, X509ChainStatusFlags[] flags, int anchorIndex, PeerRole role, PeerValidationOptions options, string? expectedHostName)
    {
        var name = Name(identity);
        var now = _time.GetUtcNow();

        // Validity of every certificate up to and including the anchor, against our clock.
        for (var i = 0; i <= anchorIndex; i++)
        {
            var notAfter = new DateTimeOffset(certs[i].NotAfter.ToUniversalTime(), TimeSpan.Zero);
            var notBefore = new DateTimeOffset(certs[i].NotBefore.ToUniversalTime(), TimeSpan.Zero);
            if (now >= notAfter)
            {
                return Fail(MtlsRejectionReason.Expired, i == 0
                    ? $"The {Describe(role)} certificate {name} expired at {notAfter:u}."
                    : $"The {Describe(role)} certificate {name} chains through {Which(i, anchorIndex)} {certs[i].Subject}, which expired at {notAfter:u}.");
            }

            if (now < notBefore)
            {
                return Fail(MtlsRejectionReason.NotYetValid, i == 0
                    ? $"The {Describe(role)} certificate {name} is not valid before {notBefore:u}."
                    : $"The {Describe(role)} certificate {name} chains through {Which(i, anchorIndex)} {certs[i].Subject}, which is not valid before {notBefore:u}.");
            }
        }

        for (var i = 1; i < anchorIndex; i++)
        {
            if (!TrustBundle.IsCa(certs[i]))
            {
                return Fail(MtlsRejectionReason.IntermediateNotCa, $"The {Describe(role)} certificate {name} was issued by {certs[i].Subject}, which is not a CA certificate (no basic constraints with CA=true).");
            }
        }

        if (anchorIndex > options.MaxChainDepth)
        {
            return Fail(MtlsRejectionReason.ChainTooDeep, $"The {Describe(role)} certificate {name} is {anchorIndex} certificates below its pinned anchor; at most {options.MaxChainDepth} are allowed (MaxChainDepth).");
        }

        for (var i = 0; i < anchorIndex; i++)
        {
            if (Oids.IsWeakSignature(certs[i].SignatureAlgorithm.Value))
            {
                return Fail(MtlsRejectionReason.WeakSignatureAlgorithm, $"The {Describe(role)} certificate {name}: {(i == 0 ? "the leaf" : certs[i].Subject)} is signed with {Oids.DescribeSignature(certs[i].SignatureAlgorithm.Value)}, which is not accepted.");
            }

            var weak = WeakKey(certs[i], options);
            if (weak is not null)
            {
                return Fail(MtlsRejectionReason.WeakKey, $"The {Describe(role)} certificate {name}: {(i == 0 ? "the leaf" : certs[i].Subject)} has {weak}.");
            }
        }

        var relevant = X509ChainStatusFlags.NoError;
        for (var i = 0; i <= anchorIndex; i++)
        {
            relevant |= flags[i] & ~IgnoredFlags;
        }

        if (relevant != X509ChainStatusFlags.NoError)
        {
            var (reason, text) = MapFlags(relevant, certs, anchorIndex);
            return Fail(reason, $"The {Describe(role)} certificate {name} is rejected: {text}.");
        }

        // The leaf itself.
        if (TrustBundle.IsCa(leaf))
        {
            return Fail(MtlsRejectionReason.LeafIsCa, $"The {Describe(role)} certificate {name} is a CA certificate; a peer must present an end-entity certificate.");
        }

        var ekuProblem = CheckExtendedKeyUsage(leaf, role, options);
        if (ekuProblem is not null)
        {
            return Fail(ekuProblem.Value.Reason, $"The {Describe(role)} certificate {name} {ekuProblem.Value.Text}");
        }

        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509KeyUsageExtension keyUsage && (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
            {
                return Fail(MtlsRejectionReason.KeyUsageNotAllowed, $"The {Describe(role)} certificate {name} has a key usage extension ({keyUsage.KeyUsages}) without digitalSignature, which TLS authentication needs.");
            }
        }

        // Identity.
        if (identity.SpiffeId is null && identity.SpiffeIdError is not null && !identity.HasMultipleUriSans)
        {
            return Fail(MtlsRejectionReason.InvalidSpiffeId, $"The {Describe(role)} certificate {name} has URI SAN '{identity.Uris[0]}', which is not a valid SPIFFE ID: {identity.SpiffeIdError}");
        }

        if (options.SpiffeRequired && identity.SpiffeId is null)
        {
            return identity.HasMultipleUriSans
                ? Fail(MtlsRejectionReason.MultipleUriSans, $"The {Describe(role)} certificate {name} has {identity.Uris.Count} URI SANs ({string.Join(", ", identity.Uris)}); an X.509 SVID has exactly one, so it has no SPIFFE ID.")
                : Fail(MtlsRejectionReason.MissingSpiffeId, $"The {Describe(role)} certificate {name} has no SPIFFE ID (no URI SAN), and a SPIFFE identity is required.");
        }

        if (options.SpiffeRequired && X509SvidRules.Check(certs, anchorIndex, identity) is { } svid) return Fail(svid.Reason, $"The {Describe(role)} certificate {name} {svid.Text}");

        if (options.AllowedPeers.Count > 0)
        {
            var allowed = false;
            foreach (var pattern in options.AllowedPeers)
            {
                if (pattern.Matches(identity))
                {
                    allowed = true;
                    break;
                }
            }

            if (!allowed)
            {
                return Fail(MtlsRejectionReason.IdentityNotAllowed, $"The {Describe(role)} certificate {name} is valid but its identity ({IdentitySummary(identity)}) is not allowed; expected one of: {string.Join(", ", options.AllowedPeers)}.");
            }
        }
        else if (expectedHostName is not null && !MatchesHost(leaf, identity, expectedHostName))
        {
            return Fail(MtlsRejectionReason.NameMismatch, $"The {Describe(role)} certificate {name} is not valid for host '{expectedHostName}': its DNS/IP SANs are [{string.Join(", ", identity.DnsNames.Concat(identity.IpAddresses.Select(a => a.ToString())))}] (the CN is never used).");
        }

        return PeerValidationResult.Success(role, identity);

        PeerValidationResult Fail(MtlsRejectionReason reason, string message) => PeerValidationResult.Failure(role, reason, message, identity);
    }

    private static bool MatchesHost(X509Certificate2 leaf, PeerIdentity identity, string host)
    {
        if (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            return identity.IpAddresses.Any(a => a.Equals(ip));
        }

        try
        {
            return leaf.MatchesHostname(host, allowWildcards: true, allowCommonName: false);
        }
        catch (CryptographicException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static (MtlsRejectionReason Reason, string Text)? CheckExtendedKeyUsage(X509Certificate2 leaf, PeerRole role, PeerValidationOptions options)
    {
        var required = role == PeerRole.Client ? Oids.ClientAuth : Oids.ServerAuth;
        var requiredName = role == PeerRole.Client ? "clientAuth" : "serverAuth";
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                var present = new List<string>();
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value == required)
                    {
                        return null;
                    }

                    present.Add(oid.Value switch { Oids.ClientAuth => "clientAuth", Oids.ServerAuth => "serverAuth", _ => oid.FriendlyName ?? oid.Value ?? "?" });
                }

                return (MtlsRejectionReason.WrongUsage, $"is not valid for the {role.ToString().ToLowerInvariant()} role: its extended key usage is [{string.Join(", ", present)}], {requiredName} is required.");
            }
        }

        return options.AllowMissingExtendedKeyUsage
            ? null
            : (MtlsRejectionReason.MissingExtendedKeyUsage, $"has no extended key usage; {requiredName} is required (AllowMissingExtendedKeyUsage is off).");
    }

    private static string? WeakKey(X509Certificate2 certificate, PeerValidationOptions options)
    {
        switch (certificate.PublicKey.Oid.Value)
        {
            case Oids.Rsa or Oids.RsaPss:
                using (var rsa = certificate.GetRSAPublicKey())
                {
                    return rsa is null || rsa.KeySize < options.MinimumRsaKeySize ? $"an RSA key of {rsa?.KeySize} bits (at least {options.MinimumRsaKeySize} required)" : null;
                }

            case Oids.EcPublicKey:
                using (var ec = certificate.GetECDsaPublicKey())
                {
                    return ec is null || ec.KeySize < 256 ? $"an EC key of {ec?.KeySize} bits (P-256 or larger required)" : null;
                }

            case Oids.Dsa:
                return "a DSA key (not accepted)";
            default:
                return $"a key of unsupported algorithm {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value}";
        }
    }

    private static (MtlsRejectionReason Reason, string Text) MapFlags(X509ChainStatusFlags flags, X509Certificate2[] certs, int anchorIndex)
    {
        if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
        {
            return (MtlsRejectionReason.InvalidSignature, "a signature in the chain does not verify");
        }

        if ((flags & X509ChainStatusFlags.Revoked) != 0)
        {
            return (MtlsRejectionReason.Revoked, "a certificate in the chain is revoked");
        }

        if ((flags & NameConstraintFlags) != 0)
        {
            return (MtlsRejectionReason.NameConstraintsViolated, "a name in the leaf is outside the name constraints of an issuing CA");
        }

        if ((flags & X509ChainStatusFlags.InvalidBasicConstraints) != 0)
        {
            for (var i = 1; i < anchorIndex; i++)
            {
                if (!TrustBundle.IsCa(certs[i]))
                {
                    return (MtlsRejectionReason.IntermediateNotCa, $"{certs[i].Subject} issued a certificate but is not a CA");
                }
            }

            return (MtlsRejectionReason.PathLengthExceeded, "the path length constraint of an issuing CA is exceeded");
        }

        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
        {
            return (MtlsRejectionReason.WrongUsage, "an issuing CA's extended key usage does not allow this role");
        }

        return (MtlsRejectionReason.ChainError, $"chain status {flags}");
    }

    private PeerValidationResult Report(PeerValidationResult result)
    {
        _metrics?.Validated(result.Role, result.Reason);
        if (!result.IsValid)
        {
            Log.PeerRejected(_logger, result.Role, result.Reason, result.Identity?.Subject ?? "(none)", result.Identity?.ThumbprintSha256 ?? "-", result.Message);
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.PeerAccepted(_logger, result.Role, result.Identity.DisplayName, result.Identity.ThumbprintSha256);
        }

        return result;
    }

    private static void DisposeChain(X509Chain chain)
    {
        foreach (var element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        chain.Dispose();
    }

    private static string Describe(PeerRole role) => role == PeerRole.Client ? "client" : "server";

    private static string Which(int index, int anchorIndex) => index == anchorIndex ? "pinned CA" : "intermediate";

    private static string Name(PeerIdentity identity) => $"{identity.Subject} (SHA-256 {identity.ThumbprintSha256[..16]}…)";

    private static string IdentitySummary(PeerIdentity identity) =>
        identity.SpiffeId is { } id ? $"SPIFFE ID {id}" :
        identity.DnsNames.Count > 0 ? $"DNS {string.Join(", ", identity.DnsNames)}" : $"subject {identity.Subject}";

    private static string Sha256(X509Certificate2 certificate) => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
}
