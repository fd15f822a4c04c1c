using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// Everything a TLS handshake needs to judge its peer, built once per trust snapshot, role and peer options, for the
/// server and the client alike: the pinned chain policy handed to SslStream, the peer validation options, the TLS
/// defaults (TLS 1.2 and 1.3, no revocation fetching, resumption on or off) and the validation callback adapter that
/// turns the handshake's certificate and chain into a verdict. A resumed session (leaf only) is judged with the chain
/// its peer sent in its full handshake, against this snapshot's trust and the current time: accepted exactly when a
/// full handshake would be.
/// </summary>
/// <remarks>
/// Infrastructure for the sibling packages (<c>AddMutualTls</c>, <c>AddMtlsHttpClient</c>) and for hosts that run their
/// own <see cref="SslStream"/>; applications configure the entry points instead. Build one per trust snapshot: the
/// verdicts it caches belong to that snapshot.
/// </remarks>
public sealed class HandshakePolicy
{
    /// <summary>The protocols both sides negotiate: TLS 1.2 and TLS 1.3.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private const int VerdictCapacity = 4096;

    private readonly PeerCertificateValidator _validator;
    private readonly PeerChainCache _chains;
    private readonly TimeProvider _time;
    private readonly MtlsMetrics? _metrics;
    private readonly bool _checkHostName;
    private readonly ConcurrentDictionary<(string LeafHash, string? Host), CachedVerdict> _verdicts = new();

    /// <summary>Initializes a policy for one trust snapshot, peer role and set of peer options.</summary>
    /// <param name="validator">The validator that decides trust.</param>
    /// <param name="trust">The trust snapshot (the current <see cref="ITrustBundleSource.Current"/>).</param>
    /// <param name="role">The role of the peer this policy judges: <see cref="PeerRole.Client"/> on a server.</param>
    /// <param name="peerOptions">The peer validation options (see <see cref="BuildPeerOptions(PeerPolicySettings)"/>); not copied, do not change them afterwards.</param>
    /// <param name="resumption">Whether TLS sessions may be resumed.</param>
    /// <param name="chains">The chains of accepted full handshakes, for resumed sessions; normally <see cref="PeerChainCache.Shared"/>.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">The instruments handshakes are counted on, or <see langword="null"/>.</param>
    /// <param name="checkHostName">Whether the callback checks the server certificate against the handshake's target host name (client side).</param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="metrics"/> is <see langword="null"/>.</exception>
    public HandshakePolicy(
        PeerCertificateValidator validator,
        TrustBundle trust,
        PeerRole role,
        PeerValidationOptions peerOptions,
        MtlsResumption resumption,
        PeerChainCache chains,
        TimeProvider time,
        MtlsMetrics? metrics,
        bool checkHostName = false)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(peerOptions);
        ArgumentNullException.ThrowIfNull(chains);
        ArgumentNullException.ThrowIfNull(time);
        _validator = validator;
        _chains = chains;
        _time = time;
        _metrics = metrics;
        _checkHostName = checkHostName;
        Trust = trust;
        Role = role;
        PeerOptions = peerOptions;
        Resumption = resumption;
        // One policy for every handshake of the snapshot (SslStream clones it per handshake); verification at build time,
        // validity re-checked against the TimeProvider by the validator.
        ChainPolicy = validator.CreateChainPolicy(trust, role, verificationTimeIgnored: true);
    }

    /// <summary>Gets the trust snapshot this policy judges against.</summary>
    /// <value>The bundle the policy was built for; compare by reference to tell whether a newer snapshot needs a new policy.</value>
    public TrustBundle Trust { get; }

    /// <summary>Gets the role of the peer this policy judges.</summary>
    /// <value>The peer's role.</value>
    public PeerRole Role { get; }

    /// <summary>Gets the peer validation options this policy applies.</summary>
    /// <value>The options the policy was built with.</value>
    public PeerValidationOptions PeerOptions { get; }

    /// <summary>Gets whether TLS sessions may be resumed.</summary>
    /// <value>The resumption setting the policy was built with.</value>
    public MtlsResumption Resumption { get; }

    /// <summary>Gets the pinned chain policy handed to SslStream (one instance per snapshot; SslStream clones it).</summary>
    internal X509ChainPolicy ChainPolicy { get; }

    /// <summary>Maps options to peer validation options; an identity that does not parse throws, naming its key.</summary>
    /// <param name="settings">The strictness and the allowed identities, each with its configuration key.</param>
    /// <returns>New peer validation options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">An allowed identity does not parse.</exception>
    public static PeerValidationOptions BuildPeerOptions(PeerPolicySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var validation = settings.Validation ?? new MtlsValidationOptions();
        var peer = new PeerValidationOptions
        {
            AllowMissingExtendedKeyUsage = settings.AllowMissingExtendedKeyUsage,
            MaxChainDepth = settings.MaxChainDepth,
            RequireSpiffeId = settings.RequireSpiffeId,
            Profile = validation.Profile,
            AllowMissingKeyIdentifiers = validation.AllowMissingKeyIdentifiers,
            AllowCommonNameNotInSubjectAltNames = validation.AllowCommonNameNotInSubjectAltNames,
            MinimumRsaKeySize = validation.MinimumRsaKeySize,
            MaxCandidatePaths = validation.MaxCandidatePaths,
            MaxSignatureVerifications = validation.MaxSignatureVerifications,
            MaxPeerIntermediates = validation.MaxPeerIntermediates,
            ConfigurationPath = settings.ConfigurationPath,
        };
        foreach (var (key, value) in settings.AllowedPeers)
        {
            if (!PeerIdentityPattern.TryParse(value, out var pattern, out var error))
            {
                throw new InvalidOperationException($"{key}: '{value}' is not a peer identity: {error}");
            }

            peer.AllowedPeers.Add(pattern);
        }

        return peer;
    }

    /// <summary>
    /// Refuses allowed identities that name a trust domain the per-trust-domain bundle has no bundle for: no peer of it
    /// could ever be accepted. Does nothing for a bundle without trust domains.
    /// </summary>
    /// <param name="trust">The trust snapshot.</param>
    /// <param name="patterns">The allowed identities (AllowedPeers, ExpectedServer).</param>
    /// <param name="configurationKey">The configuration key of <paramref name="patterns"/>, for the message.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">A pattern names a trust domain without a bundle.</exception>
    public static void EnsureCovered(TrustBundle trust, IEnumerable<PeerIdentityPattern> patterns, string configurationKey)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(configurationKey);
        TrustDomainBundles.EnsureCovered(trust, patterns, configurationKey);
    }

    /// <summary>Applies the TLS defaults to a server handshake that judges client certificates.</summary>
    /// <param name="ssl">The server options of one handshake.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ssl"/> is <see langword="null"/>.</exception>
    public void Apply(SslServerAuthenticationOptions ssl)
    {
        ArgumentNullException.ThrowIfNull(ssl);
        if (ssl.EnabledSslProtocols == SslProtocols.None)
        {
            ssl.EnabledSslProtocols = Protocols;
        }

        ssl.ClientCertificateRequired = true;
        ssl.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        ssl.CertificateChainPolicy = ChainPolicy;
        ssl.AllowTlsResume = Resumption == MtlsResumption.Enabled;
    }

    /// <summary>Applies the TLS defaults to a client handshake that judges server certificates.</summary>
    /// <param name="ssl">The client options of one handshake (or of a handler's connections).</param>
    /// <exception cref="ArgumentNullException"><paramref name="ssl"/> is <see langword="null"/>.</exception>
    public void Apply(SslClientAuthenticationOptions ssl)
    {
        ArgumentNullException.ThrowIfNull(ssl);
        ssl.EnabledSslProtocols = Protocols;
        ssl.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        ssl.CertificateChainPolicy = ChainPolicy;
        ssl.AllowTlsResume = Resumption == MtlsResumption.Enabled;
    }

    /// <summary>
    /// Creates the SslStream callback: judges the peer, hands the verdict to <paramref name="onVerdict"/>, and lets the
    /// handshake proceed when the peer is accepted (or always, with <paramref name="acceptInvalid"/>).
    /// </summary>
    /// <param name="onVerdict">Called with the callback's sender (the <see cref="SslStream"/>) and the verdict, or <see langword="null"/>.</param>
    /// <param name="acceptInvalid">Whether a rejected peer still completes the handshake (authorization decides later).</param>
    /// <returns>The callback for <c>RemoteCertificateValidationCallback</c>.</returns>
    public RemoteCertificateValidationCallback CreateCallback(Action<object, HandshakeVerdict>? onVerdict, bool acceptInvalid = false) =>
        CreateCallback(onVerdict, acceptInvalid, resumptionOffered: null);

    /// <summary>
    /// As <see cref="CreateCallback(Action{object, HandshakeVerdict}, bool)"/>, told whether the peer offered to resume a
    /// session: a handshake whose peer offered nothing (no TLS 1.3 pre-shared key, no TLS 1.2 ticket or session id) is a
    /// full handshake, judged on what the peer sent and the pinned CAs, never with intermediates remembered from another
    /// connection.
    /// </summary>
    /// <param name="onVerdict">Called with the callback's sender (the <see cref="SslStream"/>) and the verdict, or <see langword="null"/>.</param>
    /// <param name="acceptInvalid">Whether a rejected peer still completes the handshake (authorization decides later).</param>
    /// <param name="resumptionOffered">Tells, from the callback's sender, whether the peer offered to resume; returns <see langword="null"/> when unknown (the handshake may have resumed). <see langword="null"/>: always unknown.</param>
    /// <returns>The callback for <c>RemoteCertificateValidationCallback</c>.</returns>
    public RemoteCertificateValidationCallback CreateCallback(Action<object, HandshakeVerdict>? onVerdict, bool acceptInvalid, Func<object, bool?>? resumptionOffered) =>
        (sender, certificate, chain, _) =>
        {
            var host = _checkHostName ? (sender as SslStream)?.TargetHostName : null;
            var verdict = Judge(certificate, chain, host, resumptionOffered?.Invoke(sender));
            onVerdict?.Invoke(sender, verdict);
            return verdict.Result.IsValid || acceptInvalid;
        };

    /// <summary>Judges the peer of one handshake, from what SslStream handed the validation callback.</summary>
    /// <param name="certificate">The peer's leaf.</param>
    /// <param name="chain">The chain SslStream built (its extra store holds what the peer sent).</param>
    /// <param name="hostName">The host the peer is judged for (client side), or <see langword="null"/>.</param>
    /// <param name="resumptionOffered">
    /// Whether the peer offered to resume a session (a TLS 1.3 pre-shared key, a TLS 1.2 ticket or session id), or
    /// <see langword="null"/> when unknown. A handshake whose peer offered nothing is a full handshake: it is judged on
    /// what the peer sent (plus the pinned CAs) and never with remembered intermediates.
    /// </param>
    internal HandshakeVerdict Judge(X509Certificate? certificate, X509Chain? chain, string? hostName = null, bool? resumptionOffered = null)
    {
        var leaf = certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        if (leaf is null)
        {
            return Record(new HandshakeVerdict(_validator.ValidateBuiltChain(null, chain, Trust, Role, PeerOptions, hostName), false, null, default));
        }

        var hash = PeerChain.Hash(leaf);
        var sent = chain?.ChainPolicy.ExtraStore;
        var sentCount = PeerChain.CountIntermediates(leaf, sent);
        if (sentCount == 0 && resumptionOffered != false)
        {
            // Perhaps a resumed session: its handshake carries the leaf only. Judge it with the intermediates of its full
            // handshake, accepted or refused, so that it gets the verdict (and the reason) a full handshake would get now.
            if ((_chains.TryGet(hash, out var known) || _chains.TryGetRefused(hash, out known)) && known.Length > 0)
            {
                var resumed = new PeerChain(hash, PeerChain.Share(leaf), known);
                return Record(new HandshakeVerdict(Revalidate(resumed, hostName), true, resumed, ValidUntil(resumed)));
            }
        }

        // A known client reconnecting with the same intermediates: under this policy's trust snapshot and options the
        // verdict is a function of the leaf, what was sent and the time, so until it expires it is a lookup. SslStream has
        // already built its chain; nothing is judged twice.
        if (_verdicts.TryGetValue((hash, hostName), out var again) && _time.GetUtcNow() < again.ValidUntil && SameAsSent(again.Intermediates, leaf, sent, sentCount))
        {
            _metrics?.Validated(Role, MtlsRejectionReason.None);
            var repeated = new PeerChain(hash, PeerChain.Share(leaf), again.Intermediates);
            return Record(new HandshakeVerdict(again.Result, false, repeated, again.ValidUntil));
        }

        var result = _validator.ValidateBuiltChain(leaf, chain, Trust, Role, PeerOptions, hostName);
        if (!result.IsValid)
        {
            if (sentCount > 0)
            {
                _chains.RememberRefused(PeerChain.Copy(hash, leaf, sent, PeerOptions.MaxChainDepth + 1));
            }

            return Record(new HandshakeVerdict(result, false, null, default));
        }

        // The same peer reconnecting sends the same intermediates: reuse the interned copies instead of copying them again.
        PeerChain accepted;
        if (_chains.TryGet(hash, out var cached) && SameAsSent(cached, leaf, sent, sentCount))
        {
            accepted = new PeerChain(hash, PeerChain.Share(leaf), cached);
        }
        else
        {
            accepted = PeerChain.Copy(hash, leaf, sent, PeerOptions.MaxChainDepth + 1);
            _chains.Remember(accepted);
        }

        var validUntil = ValidUntil(accepted);
        Keep(accepted, hostName, result, validUntil);
        return Record(new HandshakeVerdict(result, false, accepted, validUntil));
    }

    /// <summary>
    /// Judges a known chain against this policy's trust and options at the current time: a resumed session, or an open
    /// connection after a change. An accepted verdict of this policy is reused until <see cref="ValidUntil"/>: for an unchanged trust snapshot and a known leaf, a resumed session costs a lookup.
    /// </summary>
    internal PeerValidationResult Revalidate(PeerChain chain, string? hostName = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (_verdicts.TryGetValue((chain.LeafHash, hostName), out var cached) && _time.GetUtcNow() < cached.ValidUntil)
        {
            return cached.Result;
        }

        var result = _validator.Validate(chain.Leaf, chain.IntermediatesCollection(), Trust, Role, PeerOptions, hostName);
        if (result.IsValid)
        {
            Keep(chain, hostName, result, ValidUntil(chain));
        }

        return result;
    }

    /// <summary>
    /// Gets when an accepted chain stops being valid: one second after its earliest notAfter, the pinned anchors included,
    /// because validation accepts the whole notAfter second (RFC 5280 §4.1.2.5, one-second resolution): the first instant
    /// a full handshake would be refused, so that a connection's end and the validator's verdict agree.
    /// </summary>
    internal DateTimeOffset ValidUntil(PeerChain chain)
    {
        var until = chain.NotAfter;
        var top = chain.Intermediates.Count > 0 ? chain.Intermediates[^1] : chain.Leaf;
        foreach (var anchor in Trust.Anchors)
        {
            if (anchor.SubjectName.RawData.AsSpan().SequenceEqual(top.IssuerName.RawData))
            {
                var notAfter = new DateTimeOffset(anchor.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                if (notAfter < until)
                {
                    until = notAfter;
                }
            }
        }

        return until.AddSeconds(1);
    }

    private static bool SameAsSent(X509Certificate2[] known, X509Certificate2 leaf, X509Certificate2Collection? sent, int sentCount)
    {
        if (known.Length != sentCount || sent is null)
        {
            return known.Length == 0 && sentCount == 0;
        }

        var i = 0;
        foreach (var certificate in sent)
        {
            if (certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                continue;
            }

            if (!certificate.RawDataMemory.Span.SequenceEqual(known[i++].RawDataMemory.Span))
            {
                return false;
            }
        }

        return true;
    }

    private void Keep(PeerChain chain, string? host, PeerValidationResult result, DateTimeOffset validUntil)
    {
        if (_verdicts.Count >= VerdictCapacity)
        {
            _verdicts.Clear();
        }

        _verdicts[(chain.LeafHash, host)] = new CachedVerdict(result, validUntil, chain.IntermediatesArray);
    }

    private HandshakeVerdict Record(HandshakeVerdict verdict)
    {
        _metrics?.Handshake(Role, verdict.Resumed, verdict.Result.Reason);
        return verdict;
    }

    /// <summary>An accepted verdict and the intermediates it was reached with (the same array every connection of the peer shares).</summary>
    private sealed record CachedVerdict(PeerValidationResult Result, DateTimeOffset ValidUntil, X509Certificate2[] Intermediates);
}
