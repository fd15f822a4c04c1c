using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The server side at run time: the watched certificate and trust sources, and the per-handshake wiring that
/// hands SslStream the current certificate context and the pinned chain policy, judges the one chain SslStream
/// builds, and stores the verdict on the connection for the authentication handler.
/// </summary>
internal sealed class MutualTlsServer
{
    private readonly MutualTlsOptions _options;
    private readonly MtlsSourceFactory _sources;
    private readonly PeerCertificateValidator _validator;
    private readonly ILogger _logger;
    private readonly Lazy<(ICertificateSource Certificate, ITrustBundleSource Trust)> _loaded;
    private int _announced;

    public MutualTlsServer(IOptions<MutualTlsOptions> options, MtlsSourceFactory sources, PeerCertificateValidator validator, ILogger<MutualTlsServer> logger)
    {
        _options = options.Value;
        _sources = sources;
        _validator = validator;
        _logger = logger;
        PeerOptions = BuildPeerOptions(_options);
        _loaded = new(() =>
        {
            var path = _options.ConfigurationPath;
            var certificate = _sources.GetCertificateSource("server", _options.Certificate, _options.Reload, $"{path}:Certificate");
            var trust = _sources.GetTrustBundleSource("server", _options.TrustedCa, _options.Certificate, _options.Reload, $"{path}:TrustedCa");
            Mtls.Extensions.Internal.TrustDomainBundles.EnsureCovered(trust.Current, PeerOptions.AllowedPeers, $"{path}:AllowedPeers");
            return (certificate, trust);
        });
    }

    public PeerValidationOptions PeerOptions { get; }

    public MtlsClientCertificateMode Mode => _options.ClientCertificateMode;

    public ICertificateSource Certificate => _loaded.Value.Certificate;

    public ITrustBundleSource Trust => _loaded.Value.Trust;

    public PeerCertificateValidator Validator => _validator;

    /// <summary>Applies the wiring to an HTTPS endpoint's options.</summary>
    public void ConfigureHttps(HttpsConnectionAdapterOptions https)
    {
        // Loads (or fails start-up with a message naming the key) when Kestrel configures its endpoints.
        var (certificate, trust) = _loaded.Value;
        if (Interlocked.Exchange(ref _announced, 1) == 0)
        {
            Log.ServerConfigured(_logger, certificate.Current.Certificate.Subject, certificate.Current.ThumbprintSha256, _options.ClientCertificateMode, trust.Current.Describe());
        }

        https.ServerCertificate = null;
        https.ServerCertificateChain = null;
        https.ServerCertificateSelector = (_, _) => Certificate.Current.Certificate;
        // NoCertificate keeps Kestrel from handing SslStream its own validation callback in the constructor;
        // OnAuthenticate below asks for the certificate and installs ours, which judges the chain SslStream built.
        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate;
        https.ClientCertificateValidation = null;
        https.CheckCertificateRevocation = false;
        if (https.SslProtocols == SslProtocols.None)
        {
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        }

        var previous = https.OnAuthenticate;
        https.OnAuthenticate = (connection, ssl) =>
        {
            previous?.Invoke(connection, ssl);
            OnAuthenticate(connection, ssl);
        };
    }

    /// <summary>Runs once per handshake, before SslStream authenticates.</summary>
    public void OnAuthenticate(ConnectionContext connection, SslServerAuthenticationOptions ssl)
    {
        var material = Certificate.Current;
        var trust = Trust.Current;

        // The current snapshot: a rotation is served on the next handshake, with its intermediates, no per-handshake chain build.
        ssl.ServerCertificateSelectionCallback = null;
        ssl.ServerCertificate = null;
        ssl.ServerCertificateContext = material.Context;
        ssl.ClientCertificateRequired = true;
        ssl.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;

        // SslStream builds the one chain of this handshake with the pinned policy; the callback only judges it.
        ssl.CertificateChainPolicy = _validator.CreateChainPolicy(trust, PeerRole.Client);

        var feature = new MtlsPeerFeature();
        connection.Features.Set<IMtlsPeerFeature>(feature);
        var allow = _options.ClientCertificateMode == MtlsClientCertificateMode.Allow;
        var peerOptions = PeerOptions;
        ssl.RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
        {
            var leaf = certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            var result = _validator.ValidateBuiltChain(leaf, chain, trust, PeerRole.Client, peerOptions);
            feature.Result = result;
            return result.IsValid || allow;
        };
    }

    /// <summary>Judges a client certificate that reached a request without our handshake wiring (HTTP/3, custom endpoints).</summary>
    public PeerValidationResult ValidateFallback(X509Certificate2? certificate) =>
        _validator.Validate(certificate, null, Trust.Current, PeerRole.Client, PeerOptions);

    internal static PeerValidationOptions BuildPeerOptions(MutualTlsOptions options)
    {
        var peer = new PeerValidationOptions
        {
            AllowMissingExtendedKeyUsage = options.AllowMissingExtendedKeyUsage,
            MaxChainDepth = options.MaxChainDepth,
            RequireSpiffeId = options.RequireSpiffeId,
        };
        foreach (var entry in options.AllowedPeers)
        {
            if (PeerIdentityPattern.TryParse(entry, out var pattern, out _))
            {
                peer.AllowedPeers.Add(pattern);
            }
        }

        return peer;
    }
}
