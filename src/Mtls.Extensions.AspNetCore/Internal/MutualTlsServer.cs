using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The server side at run time: the watched certificate and trust sources, the current <see cref="HandshakePolicy"/>
/// (rebuilt when the trust bundle or the options change) and the per-handshake wiring that hands SslStream the current
/// certificate context and the policy, and stores the verdict on the connection for the authentication handler. Open
/// connections are tracked so that they end when their client's trust does.
/// </summary>
internal sealed class MutualTlsServer : IDisposable
{
    // Deliberately fixed for the process lifetime: where the certificate and the trusted CAs come from (Certificate,
    // TrustedCa, Reload and the configuration path in messages). The sources built from them watch their files and
    // folders; pointing them elsewhere at run time is a restart. What may change while connections are open (AllowedPeers,
    // RequireSpiffeId, MaxChainDepth, AllowMissingExtendedKeyUsage, Resumption, ClientCertificateMode) follows the
    // options monitor (OnOptionsChanged): validated options are applied as a whole, a reload that fails changes nothing.
    private readonly MutualTlsOptions _initial;
    private readonly MtlsSourceFactory _sources;
    private readonly PeerCertificateValidator _validator;
    private readonly TimeProvider _time;
    private readonly MtlsMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Lazy<(ICertificateSource Certificate, ITrustBundleSource Trust)> _loaded;
    private RevocationSource? _revocation;
    private IDisposable? _revocationSubscription;
    private MutualTlsOptions _applied;
    private readonly PeerChainCache _chains = PeerChainCache.Shared;
    private readonly PeerConnectionTracker _connections;
    private readonly Lock _gate = new();
    private readonly IDisposable? _optionsSubscription;
    private IDisposable? _trustSubscription;
    private PeerValidationOptions _peerOptions;
    private MtlsResumption _resumption;
    private volatile MtlsClientCertificateMode _mode;
    private HandshakePolicy? _policy;
    private int _announced;

    public MutualTlsServer(IOptionsMonitor<MutualTlsOptions> options, MtlsSourceFactory sources, PeerCertificateValidator validator, TimeProvider time, MtlsMetrics metrics, ILogger<MutualTlsServer> logger)
    {
        _initial = options.CurrentValue;
        _sources = sources;
        _validator = validator;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _applied = _initial;
        _peerOptions = BuildPeerOptions(_initial);
        _resumption = _initial.Resumption;
        _mode = _initial.ClientCertificateMode;
        _connections = new PeerConnectionTracker(PeerRole.Client, time, metrics, logger);
        _loaded = new(() =>
        {
            var path = _initial.ConfigurationPath;
            var certificate = _sources.GetCertificateSource("server", _initial.Certificate, _initial.Reload, $"{path}:Certificate");
            var trust = _sources.GetTrustBundleSource("server", _initial.TrustedCa, _initial.Certificate, _initial.Reload, $"{path}:TrustedCa");
            HandshakePolicy.EnsureCovered(trust.Current, PeerOptions.AllowedPeers, $"{path}:AllowedPeers");
            // CRL files and the denylist (file and configuration): a file that does not load, or an entry that does not
            // parse, stops start-up naming its key.
            var revocation = _sources.GetRevocationSource("server", _initial.TrustedCa, _initial.Revocation, _initial.Reload, path);
            lock (_gate)
            {
                _revocation = revocation;
                Volatile.Write(ref _peerOptions, revocation.Apply(BuildPeerOptions(_applied), _applied.Revocation, $"{path}:Revocation"));
            }

            _revocationSubscription = ChangeToken.OnChange(revocation.GetChangeToken, OnRevocationChanged);
            return (certificate, trust);
        });
        _optionsSubscription = options.OnChange((changed, name) =>
        {
            if (string.IsNullOrEmpty(name) || name == Options.DefaultName)
            {
                OnOptionsChanged(changed);
            }
        });
    }

    /// <summary>Gets the current peer validation options (AllowedPeers and strictness; reloadable).</summary>
    public PeerValidationOptions PeerOptions => Volatile.Read(ref _peerOptions);

    /// <summary>Gets the client certificate mode of the last options that were applied (a reload that fails validation changes nothing).</summary>
    public MtlsClientCertificateMode Mode => _mode;

    public ICertificateSource Certificate => _loaded.Value.Certificate;

    public ITrustBundleSource Trust => _loaded.Value.Trust;

    public PeerCertificateValidator Validator => _validator;

    /// <summary>Gets the number of open connections whose client was accepted.</summary>
    internal int OpenConnections => _connections.Count;

    /// <summary>Gets the policy of the current trust snapshot and options (built once per snapshot).</summary>
    public HandshakePolicy Policy => PolicyFor(Trust.Current);

    private HandshakePolicy PolicyFor(TrustBundle trust)
    {
        var policy = Volatile.Read(ref _policy);
        return policy is not null && ReferenceEquals(policy.Trust, trust) ? policy : Rebuild(trust);
    }

    /// <summary>Applies the wiring to an HTTPS endpoint's options.</summary>
    public void ConfigureHttps(HttpsConnectionAdapterOptions https)
    {
        // Loads (or fails start-up with a message naming the key) when Kestrel configures its endpoints.
        var (certificate, trust) = _loaded.Value;
        if (Interlocked.Exchange(ref _announced, 1) == 0)
        {
            Log.ServerConfigured(_logger, certificate.Current.Certificate.Subject, certificate.Current.ThumbprintSha256, Mode, trust.Current.Describe());
            LogAllowedPeers(trust.Current);
            _trustSubscription = ChangeToken.OnChange(trust.GetChangeToken, OnTrustChanged);
        }

        https.ServerCertificate = null;
        https.ServerCertificateChain = null;
        https.ServerCertificateSelector = (_, _) => Certificate.Current.Certificate;
        // NoCertificate keeps Kestrel from handing SslStream its own validation callback in the constructor;
        // OnAuthenticate below asks for the certificate and installs ours, which judges the chain SslStream built.
        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate;
        https.ClientCertificateValidation = null;
        https.CheckCertificateRevocation = false;
        if (https.SslProtocols == System.Security.Authentication.SslProtocols.None)
        {
            https.SslProtocols = HandshakePolicy.Protocols;
        }

        // Whether the client offered to resume a session: a handshake whose client offered nothing is a full handshake,
        // judged on what the client sent, never with intermediates another connection sent (one replica, one verdict).
        var previousHello = https.TlsClientHelloBytesCallback;
        https.TlsClientHelloBytesCallback = (connection, hello) =>
        {
            previousHello?.Invoke(connection, hello);
            FeatureOf(connection).Offer = ResumptionOffer.Read(hello);
        };

        var previous = https.OnAuthenticate;
        https.OnAuthenticate = (connection, ssl) =>
        {
            previous?.Invoke(connection, ssl);
            OnAuthenticate(connection, ssl);
        };
    }

    /// <summary>Runs once per handshake, before SslStream authenticates.</summary>
    public void OnAuthenticate(ConnectionContext connection, System.Net.Security.SslServerAuthenticationOptions ssl)
    {
        var (material, trust) = AcquireCurrent();

        // Referenced until the connection closes, so a rotation never disposes the context of a handshake in flight
        // (nor of the session it set up); the last connection using a retired material disposes it.
        connection.ConnectionClosed.Register(static m => ((CertificateMaterial)m!).Release(), material);

        // The current snapshot: a rotation is served on the next handshake, with its intermediates, no per-handshake chain build.
        ssl.ServerCertificateSelectionCallback = null;
        ssl.ServerCertificate = null;
        ssl.ServerCertificateContext = material.Context;

        var policy = PolicyFor(trust);
        policy.Apply(ssl);
        var feature = FeatureOf(connection);
        var remote = RejectionLogLimiter.Describe(connection.RemoteEndPoint);
        var judge = policy.CreateCallback(
            (_, verdict) =>
            {
                feature.Result = verdict.Result;
                if (verdict.Result.IsValid)
                {
                    Track(connection, verdict);
                }
            },
            acceptInvalid: Mode == MtlsClientCertificateMode.Allow,
            resumptionOffered: sender => feature.Offer is { } offer && sender is System.Net.Security.SslStream ssl ? offer.MayResume(ssl.SslProtocol) : null);
        // The rejection log counts distinct remote addresses per reason: the validator learns this peer's.
        ssl.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            var accepted = RejectionLogLimiter.WithRemoteAddress(remote, () => judge(sender, certificate, chain, errors));
            if (certificate is not null && feature.Result is { IsValid: false })
            {
                // Allow mode: the handshake goes on, but a rejected certificate is not surfaced to code outside the scheme.
                RejectedCertificateHidden.Apply(connection, certificate);
            }

            return accepted;
        };
    }

    private static MtlsPeerFeature FeatureOf(ConnectionContext connection)
    {
        if (connection.Features.Get<IMtlsPeerFeature>() is MtlsPeerFeature existing)
        {
            return existing;
        }

        var feature = new MtlsPeerFeature();
        connection.Features.Set<IMtlsPeerFeature>(feature);
        return feature;
    }

    /// <summary>
    /// Reads certificate and trust as one pair (a folder's certificate and CA are published together: the material read
    /// again after the bundle is the same only when both came from one snapshot) and references the material.
    /// </summary>
    private (CertificateMaterial Material, TrustBundle Trust) AcquireCurrent()
    {
        while (true)
        {
            var material = Certificate.Current;
            var trust = Trust.Current;

            // TryAcquire fails only for a material retired since the read; Current is then already its successor.
            if (ReferenceEquals(material, Certificate.Current) && material.TryAcquire())
            {
                return (material, trust);
            }
        }
    }

    /// <summary>Judges a client certificate that reached a request without our handshake wiring (HTTP/3, custom endpoints).</summary>
    public PeerValidationResult ValidateFallback(X509Certificate2? certificate) =>
        _validator.Validate(certificate, null, Trust.Current, PeerRole.Client, PeerOptions);

    /// <summary>Logs the AllowedPeers in force after every configuration source (lists merge by index), warning when a configured list bound empty.</summary>
    private void LogAllowedPeers(TrustBundle trust)
    {
        var key = $"{_initial.ConfigurationPath}:AllowedPeers";
        var peers = _initial.AllowedPeers;
        Log.AllowedPeers(_logger, key, peers.Count == 0 ? "any peer the pinned CAs issued (the list is empty)" : string.Join(", ", peers));
        if (peers.Count == 0 && _initial.AllowedPeersConfigured)
        {
            Log.AllowedPeersEmpty(_logger, key, trust.Describe());
        }
    }

    internal static PeerValidationOptions BuildPeerOptions(MutualTlsOptions options)
    {
        var path = options.ConfigurationPath;
        var allowed = new List<(string, string)>(options.AllowedPeers.Count);
        for (var i = 0; i < options.AllowedPeers.Count; i++)
        {
            allowed.Add(($"{path}:AllowedPeers:{i}", options.AllowedPeers[i]));
        }

        return HandshakePolicy.BuildPeerOptions(new PeerPolicySettings(options.AllowMissingExtendedKeyUsage, options.MaxChainDepth, options.RequireSpiffeId, allowed)
        {
            Validation = options.Validation,
            ConfigurationPath = path,
        });
    }

    public void Dispose()
    {
        _optionsSubscription?.Dispose();
        _trustSubscription?.Dispose();
        _revocationSubscription?.Dispose();
        _connections.Dispose();
    }

    private void Track(ConnectionContext connection, HandshakeVerdict verdict)
    {
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        var registration = _connections.Track(connection.ConnectionId, verdict, hostName: null, () =>
        {
            // HTTP/1.1 answers the next response with Connection: close; HTTP/2 sends GOAWAY and lets streams finish.
            if (lifetime is not null)
            {
                lifetime.RequestClose();
            }
            else
            {
                connection.Abort(new ConnectionAbortedException("The client's trust ended."));
            }
        });
        connection.ConnectionClosed.Register(static state => ((IDisposable)state!).Dispose(), registration);
    }

    private HandshakePolicy Rebuild(TrustBundle trust)
    {
        lock (_gate)
        {
            var policy = _policy;
            if (policy is not null && ReferenceEquals(policy.Trust, trust) && ReferenceEquals(policy.PeerOptions, _peerOptions) && policy.Resumption == _resumption)
            {
                return policy;
            }

            policy = new HandshakePolicy(_validator, trust, PeerRole.Client, _peerOptions, _resumption, _chains, _time, _metrics);
            Volatile.Write(ref _policy, policy);
            return policy;
        }
    }

    private void OnTrustChanged() => _connections.Revalidate(Rebuild(Trust.Current));

    /// <summary>The CRL or denylist files changed: a new policy (no cached verdict survives) and every open connection judged again now.</summary>
    private void OnRevocationChanged()
    {
        lock (_gate)
        {
            try
            {
                Volatile.Write(ref _peerOptions, _revocation!.Apply(BuildPeerOptions(_applied), _applied.Revocation, $"{_applied.ConfigurationPath}:Revocation"));
            }
            catch (InvalidOperationException ex)
            {
                Log.OptionsReloadRejected(_logger, ex.Message);
                return;
            }
        }

        _connections.Revalidate(Rebuild(Trust.Current));
    }

    private void OnOptionsChanged(MutualTlsOptions options)
    {
        lock (_gate)
        {
            PeerValidationOptions peer;
            try
            {
                peer = BuildPeerOptions(options);
                // The denylist under Revocation:Deny follows the configuration like AllowedPeers (the files keep their own watch).
                peer = _revocation?.Apply(peer, options.Revocation, $"{options.ConfigurationPath}:Revocation") ?? peer;
            }
            catch (InvalidOperationException ex)
            {
                Log.OptionsReloadRejected(_logger, ex.Message);
                return;
            }

            _applied = options;
            Volatile.Write(ref _peerOptions, peer);
            _resumption = options.Resumption;
            _mode = options.ClientCertificateMode;
        }

        if (_loaded.IsValueCreated)
        {
            _connections.Revalidate(Rebuild(Trust.Current));
        }
    }
}
