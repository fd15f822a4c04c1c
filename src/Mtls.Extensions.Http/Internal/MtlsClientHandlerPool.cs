using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// The run-time state of one named mTLS client: its watched certificate and trust sources and the current primary
/// handler lease. A change of either source builds a new <see cref="SocketsHttpHandler"/> (new connections present the
/// new certificate and trust the new bundle) and retires the old one, which is disposed once its last request is done.
/// Shared by every handler chain <c>IHttpClientFactory</c> builds for the name, so the factory's handler lifetime never
/// drops pooled connections.
/// </summary>
internal sealed class MtlsClientHandlerPool : IDisposable
{
    private readonly MtlsHttpClientOptions _options;
    private readonly ICertificateSource _certificate;
    private readonly ITrustBundleSource _trust;
    private readonly PeerCertificateValidator _validator;
    private readonly RevocationSource _revocation;
    private readonly IDisposable _revocationSubscription;
    private readonly string _path;
    private PeerValidationOptions _peerOptions;
    private readonly bool _checkHostName;
    private readonly MtlsMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PeerChainCache _chains = PeerChainCache.Shared;
    private readonly Lock _gate = new();
    private readonly IDisposable _certificateSubscription;
    private readonly IDisposable _trustSubscription;
    private readonly ClientConnector _connector;
    private HandlerLease _current;
    private ITimer? _expiryTimer;
    private DateTimeOffset _expiry = DateTimeOffset.MaxValue;
    private long _generation;
    private int _live;
    private bool _disposed;

    public MtlsClientHandlerPool(string name, MtlsHttpClientOptions options, MtlsSourceFactory sources, PeerCertificateValidator validator, MtlsMetrics? metrics, ILogger logger, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        Name = name;
        _options = options;
        _validator = validator;
        _metrics = metrics;
        _logger = logger;
        _connector = new ClientConnector(name, logger);
        Classifier = new ClientRejectionClassifier(name, logger);
        var path = string.IsNullOrEmpty(options.ConfigurationPath) ? MtlsHttpClientDefaults.ConfigurationPath(name) : options.ConfigurationPath;
        _certificate = sources.GetCertificateSource(SourceName(name), options.Certificate, options.Reload, $"{path}:Certificate");
        _trust = sources.GetTrustBundleSource(SourceName(name), options.TrustedCa, options.Certificate, options.Reload, $"{path}:TrustedCa");
        _path = path;
        (_peerOptions, _checkHostName) = BuildPeerOptions(options, path);
        // CRL files and the denylist (configuration and file): a file that does not load, or an entry that does not parse,
        // fails the client's creation naming its key.
        _revocation = sources.GetRevocationSource(SourceName(name), options.TrustedCa, options.Revocation, options.Reload, path);
        _revocation.Apply(_peerOptions, options.Revocation, $"{path}:Revocation");
        HandshakePolicy.EnsureCovered(_trust.Current, _peerOptions.AllowedPeers, $"{path}:ExpectedServer");
        var (material, trust) = AcquireCurrent();
        _current = CreateLease(material, trust);
        Log.ClientCreated(_logger, name, material.Certificate.Subject, material.ThumbprintSha256, trust.Describe());
        _certificateSubscription = ChangeToken.OnChange(_certificate.GetChangeToken, Recycle);
        _trustSubscription = ChangeToken.OnChange(_trust.GetChangeToken, Recycle);
        _revocationSubscription = ChangeToken.OnChange(_revocation.GetChangeToken, OnRevocationChanged);
    }

    public string Name { get; }

    /// <summary>Gets the connection history the handlers of this client keep per request.</summary>
    public ClientConnector Connector => _connector;

    /// <summary>Gets what tells this client's certificate rejections from other failures.</summary>
    public ClientRejectionClassifier Classifier { get; }

    /// <summary>Gets the number of primary handlers alive: the current one and those still draining.</summary>
    public int LiveHandlers => Volatile.Read(ref _live);

    /// <summary>Gets the generation of the current handler; starts at 1, grows by one per rotation.</summary>
    public long Generation => Volatile.Read(ref _current).Generation;

    /// <summary>Gets the certificate the current handler presents.</summary>
    public CertificateMaterial CurrentMaterial => Volatile.Read(ref _current).Material;

    /// <summary>Gets the trust bundle the current handler pins.</summary>
    public TrustBundle CurrentTrust => Volatile.Read(ref _current).Trust;

    internal static string SourceName(string clientName) => "client:" + clientName;

    /// <summary>Takes a reference on the current handler for one request.</summary>
    public HandlerLease Acquire()
    {
        while (true)
        {
            var lease = Volatile.Read(ref _current);
            if (lease.TryAcquire())
            {
                return lease;
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }

    /// <summary>Replaces the handler when the certificate or trust bundle differs from the current lease's.</summary>
    public void Recycle() => Recycle(revocationChanged: false);

    /// <summary>
    /// The CRL or denylist files changed: new peer options, and a new handler whether or not certificate and trust changed, so
    /// that pooled connections to a now-revoked server are closed (the old handler is disposed once its requests finish) and
    /// every new connection judges its server against the new data.
    /// </summary>
    internal void OnRevocationChanged()
    {
        lock (_gate)
        {
            var (peer, _) = BuildPeerOptions(_options, _path);
            Volatile.Write(ref _peerOptions, _revocation.Apply(peer, _options.Revocation, $"{_path}:Revocation"));
        }

        Recycle(revocationChanged: true);
    }

    private void Recycle(bool revocationChanged)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var (material, trust) = AcquireCurrent();
            var old = _current;
            if (!revocationChanged && ReferenceEquals(material, old.Material) && ReferenceEquals(trust, old.Trust))
            {
                // The other source of the same rotation already recycled (a folder's certificate and CA change together).
                material.Release();
                return;
            }

            var next = CreateLease(material, trust);
            Volatile.Write(ref _current, next);
            _expiry = DateTimeOffset.MaxValue;
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            _metrics?.HandlerRecycled(Name);
            Log.HandlerRecycled(_logger, Name, old.Generation, next.Generation, material.Certificate.Subject, material.ThumbprintSha256, trust.ContentHash);
            old.Release();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _expiryTimer?.Dispose();
        }

        _certificateSubscription.Dispose();
        _trustSubscription.Dispose();
        _revocationSubscription.Dispose();
        _current.Release();
    }

    private static (PeerValidationOptions Options, bool CheckHostName) BuildPeerOptions(MtlsHttpClientOptions options, string path)
    {
        var expected = MtlsHttpClientDefaults.SplitExpectedServer(options.ExpectedServer).Select(e => ($"{path}:ExpectedServer", e)).ToList();
        var peer = HandshakePolicy.BuildPeerOptions(new PeerPolicySettings(options.AllowMissingExtendedKeyUsage, options.MaxChainDepth, RequireSpiffeId: false, expected)
        {
            Validation = options.Validation,
            ConfigurationPath = path,
        });
        return (peer, peer.AllowedPeers.Count == 0);
    }

    private HandlerLease CreateLease(CertificateMaterial material, TrustBundle trust)
    {
        var generation = Interlocked.Increment(ref _generation);
        var policy = new HandshakePolicy(_validator, trust, PeerRole.Server, Volatile.Read(ref _peerOptions), _options.Resumption, _chains, _time, _metrics, _checkHostName);
        HandlerLease? lease = null;
        var ssl = new SslClientAuthenticationOptions
        {
            // Sends the intermediates on every handshake; resumption as configured, per handler generation.
            ClientCertificateContext = material.Context,
            RemoteCertificateValidationCallback = policy.CreateCallback((sender, verdict) =>
            {
                if ((sender as SslStream)?.TargetHostName is { Length: > 0 } host)
                {
                    lease?.RecordVerdict(host, verdict.Result);
                }

                if (verdict.Result.IsValid && lease is not null)
                {
                    ScheduleExpiry(lease, verdict.ValidUntil);
                }
            }),
        };
        policy.Apply(ssl);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionIdleTimeout = _options.PooledConnectionIdleTimeout,
            PooledConnectionLifetime = _options.PooledConnectionLifetime,
            UseCookies = false,
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = (context, cancellationToken) => _connector.ConnectAsync(context, lease!, cancellationToken),
            SslOptions = ssl,
        };
        Interlocked.Increment(ref _live);
        _metrics?.HandlerCreated(Name);
        lease = new HandlerLease(generation, handler, material, trust, OnDrained);
        return lease;
    }

    /// <summary>
    /// No pooled connection carries a request past its server certificate's expiry: when the earliest notAfter among the
    /// current handler's servers passes, the handler is replaced (in-flight requests finish, new ones connect afresh and
    /// judge the server's certificate again).
    /// </summary>
    private void ScheduleExpiry(HandlerLease lease, DateTimeOffset validUntil)
    {
        lock (_gate)
        {
            if (_disposed || !ReferenceEquals(_current, lease) || validUntil >= _expiry)
            {
                return;
            }

            _expiry = validUntil;
            var due = validUntil - _time.GetUtcNow();
            due = due < TimeSpan.Zero ? TimeSpan.Zero : due > TimeSpan.FromDays(30) ? TimeSpan.FromDays(30) : due;
            _expiryTimer?.Dispose();
            _expiryTimer = _time.CreateTimer(static state => ((MtlsClientHandlerPool)state!).OnExpiryTimer(), this, due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnExpiryTimer()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_time.GetUtcNow() < _expiry)
            {
                var due = _expiry - _time.GetUtcNow();
                _expiryTimer?.Change(due > TimeSpan.FromDays(30) ? TimeSpan.FromDays(30) : due, Timeout.InfiniteTimeSpan);
                return;
            }

            var old = _current;
            // The new handler holds its own reference on the material (the old one gives its back when drained).
            var (material, trust) = AcquireCurrent();
            var next = CreateLease(material, trust);
            Volatile.Write(ref _current, next);
            _expiry = DateTimeOffset.MaxValue;
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            _metrics?.ConnectionClosed(PeerRole.Server, expired: true, MtlsRejectionReason.Expired);
            Log.ServerCertificateExpired(_logger, Name, old.Generation, next.Generation);
            old.Release();
        }
    }

    /// <summary>
    /// Reads certificate and trust as one pair and takes a reference on the material for a handler. A folder's
    /// certificate and CA are published together: the material read again after the trust bundle is the same only when
    /// both came from one snapshot. A material retired (and disposed) in between is skipped.
    /// </summary>
    private (CertificateMaterial Material, TrustBundle Trust) AcquireCurrent()
    {
        while (true)
        {
            var material = _certificate.Current;
            var trust = _trust.Current;
            if (ReferenceEquals(material, _certificate.Current) && material.TryAcquire())
            {
                return (material, trust);
            }
        }
    }

    private void OnDrained(HandlerLease lease)
    {
        // The handler that presented this material is disposed: give back its reference.
        lease.Material.Release();
        // Log and count before the live count drops, so whoever sees the drop also sees the event.
        Log.HandlerDisposed(_logger, Name, lease.Generation);
        _metrics?.HandlerDisposed(Name);
        Interlocked.Decrement(ref _live);
    }
}
