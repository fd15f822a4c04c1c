using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// The first step of every request (installed by <see cref="ForwardingStartupFilter"/>): from a source that is not a
/// trusted proxy, every client-certificate forwarding header is removed (counted, logged rate-limited) and the request
/// keeps its own connection's verdict. From a trusted proxy, the forwarded certificate is read in the proxy's format and
/// judged by the server's one validator with the current policy (trust snapshot, AllowedPeers, strictness), exactly like
/// a direct handshake; its verdict replaces the proxy's for this request only, and <c>Connection.ClientCertificate</c>
/// is the forwarded leaf once accepted. Under <c>ClientCertificateMode</c> <c>Require</c> a request whose forwarded
/// certificate is missing, malformed or rejected is answered here (401, or 403 for a certificate whose identity is not
/// allowed), as a direct client would have been refused in its handshake.
/// </summary>
internal sealed class ForwardedCertificateGate : IDisposable
{
    private readonly IDisposable? _subscription;
    private readonly MutualTlsServer _server;
    private readonly MtlsMetrics _mtlsMetrics;
    private readonly ForwardingMetrics _metrics;
    private readonly RejectionLogLimiter _rejections;
    private readonly ForwardingLogLimiter _removals;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ForwardingProxyList _proxies;

    public ForwardedCertificateGate(IOptionsMonitor<MutualTlsOptions> options, MutualTlsServer server, MtlsMetrics mtlsMetrics, ForwardingMetrics metrics, RejectionLogLimiter rejections, TimeProvider time, ILogger<ForwardedCertificateGate> logger)
    {
        _server = server;
        _mtlsMetrics = mtlsMetrics;
        _metrics = metrics;
        _rejections = rejections;
        _time = time;
        _logger = logger;
        _removals = new ForwardingLogLimiter(time);
        Cache = new ForwardedVerdictCache(time);
        var initial = options.CurrentValue;
        _proxies = ForwardingProxyList.Build(initial.ConfigurationPath, initial.Forwarding, errors: null);
        _subscription = options.OnChange((changed, name) =>
        {
            if (string.IsNullOrEmpty(name) || name == Options.DefaultName)
            {
                OnOptionsChanged(changed);
            }
        });
    }

    internal ForwardedVerdictCache Cache { get; }

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var proxies = Proxies();
        var remote = context.Connection.RemoteIpAddress;
        var connection = context.Features.Get<IMtlsPeerFeature>()?.Result;
        var entry = proxies.Match(remote, connection);
        if (entry is null)
        {
            Remove(context, proxies.Headers, null, remote, connection);
            return next(context);
        }

        // Headers of other formats did not come from this proxy's configuration: whatever its client put there is removed.
        Remove(context, proxies.Headers, entry, remote, connection);
        var forwardedBy = entry.Describe(remote, connection);
        var (result, accepted) = Judge(context, entry, forwardedBy, remote);
        context.Features.Set<IMtlsPeerFeature>(new ForwardedPeerFeature(result, accepted, forwardedBy, connection));
        context.Features.Set<ITlsConnectionFeature>(new ForwardedTlsConnectionFeature(accepted?.Leaf));
        if (result.IsValid || _server.Mode == MtlsClientCertificateMode.Allow)
        {
            return next(context);
        }

        // Require: a direct client with this certificate would not have completed its handshake; this request goes no further.
        Log.AuthenticationFailed(_logger, context.Connection.Id, result.Reason);
        context.Response.StatusCode = result.Reason == MtlsRejectionReason.IdentityNotAllowed ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = MutualTlsDefaults.AuthenticationScheme;
        return Task.CompletedTask;
    }

    private (PeerValidationResult Result, ForwardedVerdictCache.Entry? Accepted) Judge(HttpContext context, ForwardingProxyList.Entry entry, string forwardedBy, IPAddress? remote)
    {
        var forwarded = ForwardedCertificateReader.Read(context.Request.Headers, entry.Format, entry.Header);
        if (forwarded.IsAbsent)
        {
            _mtlsMetrics.Validated(PeerRole.Client, MtlsRejectionReason.NoCertificate);
            if (_logger.IsEnabled(LogLevel.Information) && _rejections.ShouldLog(MtlsRejectionReason.NoCertificate, remote?.ToString()))
            {
                ForwardingLog.Missing(_logger, forwardedBy, entry.Header);
            }

            return (PeerValidationResult.Failure(PeerRole.Client, MtlsRejectionReason.NoCertificate, $"The proxy {forwardedBy} forwarded no client certificate in {entry.Header}."), null);
        }

        if (forwarded.Error is { } error)
        {
            return (Malformed(forwardedBy, error, remote), null);
        }

        var certificates = forwarded.Certificates!;
        var policy = _server.Policy;
        var key = ForwardedVerdictCache.Key.Of(certificates);
        if (Cache.TryGet(policy, key, out var cached))
        {
            return (cached.Result, cached);
        }

        return Validate(policy, key, certificates, forwardedBy, remote);
    }

    private (PeerValidationResult Result, ForwardedVerdictCache.Entry? Accepted) Validate(HandshakePolicy policy, ForwardedVerdictCache.Key key, byte[][] certificates, string forwardedBy, IPAddress? remote)
    {
        var address = remote?.ToString();
        X509Certificate2 leaf;
        try
        {
            leaf = X509CertificateLoader.LoadCertificate(certificates[0]);
        }
        catch (CryptographicException)
        {
            // The validator's own judgement of bytes that do not parse: MalformedCertificate, logged and counted as for a direct peer.
            return (RejectionLogLimiter.WithRemoteAddress(address, () => _server.Validator.Validate(certificates[0], null, policy.Trust, PeerRole.Client, policy.PeerOptions)), null);
        }

        var chain = new X509Certificate2Collection();
        try
        {
            for (var i = 1; i < certificates.Length; i++)
            {
                try
                {
                    chain.Add(X509CertificateLoader.LoadCertificate(certificates[i]));
                }
                catch (CryptographicException)
                {
                    leaf.Dispose();
                    return (Malformed(forwardedBy, $"forwarded chain certificate {i} ({certificates[i].Length} bytes) is not a valid X.509 certificate", remote), null);
                }
            }

            var result = RejectionLogLimiter.WithRemoteAddress(address, () => _server.Validator.Validate(leaf, chain, policy.Trust, PeerRole.Client, policy.PeerOptions));
            if (!result.IsValid)
            {
                leaf.Dispose();
                return (result, null);
            }

            var accepted = new ForwardedVerdictCache.Entry(result, leaf, ValidUntil(policy, leaf, chain));
            Cache.Add(policy, key, accepted);
            return (result, accepted);
        }
        finally
        {
            foreach (var certificate in chain)
            {
                certificate.Dispose();
            }
        }
    }

    private PeerValidationResult Malformed(string forwardedBy, string problem, IPAddress? remote)
    {
        _mtlsMetrics.Validated(PeerRole.Client, MtlsRejectionReason.MalformedCertificate);
        if (_logger.IsEnabled(LogLevel.Warning) && _rejections.ShouldLog(MtlsRejectionReason.MalformedCertificate, remote?.ToString()))
        {
            ForwardingLog.Malformed(_logger, forwardedBy, problem);
        }

        return PeerValidationResult.Failure(PeerRole.Client, MtlsRejectionReason.MalformedCertificate, $"The client certificate forwarded by {forwardedBy} is malformed: {problem}.");
    }

    /// <summary>The earliest notAfter of the leaf, the forwarded chain and the anchor the chain ends at.</summary>
    private static DateTimeOffset ValidUntil(HandshakePolicy policy, X509Certificate2 leaf, X509Certificate2Collection chain)
    {
        var until = leaf.NotAfter;
        var top = leaf;
        foreach (var certificate in chain)
        {
            if (certificate.NotAfter < until)
            {
                until = certificate.NotAfter;
            }

            top = certificate;
        }

        foreach (var anchor in policy.Trust.Anchors)
        {
            if ((anchor.SubjectName.RawData.AsSpan().SequenceEqual(top.IssuerName.RawData) || anchor.RawDataMemory.Span.SequenceEqual(top.RawDataMemory.Span)) && anchor.NotAfter < until)
            {
                until = anchor.NotAfter;
            }
        }

        return new DateTimeOffset(until.ToUniversalTime(), TimeSpan.Zero);
    }

    private void Remove(HttpContext context, string[] headers, ForwardingProxyList.Entry? trusted, IPAddress? remote, PeerValidationResult? connection)
    {
        var requestHeaders = context.Request.Headers;
        List<string>? removed = null;
        foreach (var header in headers)
        {
            if (trusted is not null && ForwardingProxyList.IsOwnHeader(trusted, header))
            {
                continue;
            }

            if (requestHeaders.Remove(header))
            {
                (removed ??= []).Add(header);
            }
        }

        if (removed is null)
        {
            return;
        }

        _metrics.Removed(trusted is null ? ForwardingMetrics.UntrustedSource : ForwardingMetrics.OtherFormat, removed.Count);
        if (_logger.IsEnabled(LogLevel.Warning) && _removals.ShouldLog(out var suppressed))
        {
            var peer = connection is { IsValid: true } verdict ? PeerText.Escape(verdict.Identity.DisplayName) : "no accepted client certificate";
            ForwardingLog.HeadersRemoved(_logger, string.Join(", ", removed), remote?.ToString() ?? "(unknown address)", trusted is null ? peer : $"{peer}; a trusted proxy, but not for these headers ({trusted.Key})", suppressed);
        }
    }

    private ForwardingProxyList Proxies() => Volatile.Read(ref _proxies);

    /// <summary>A reloaded list is applied as a whole; one that does not parse changes nothing (the previous proxies stay trusted, no others).</summary>
    private void OnOptionsChanged(MutualTlsOptions options)
    {
        var errors = new List<string>();
        var list = ForwardingProxyList.Build(options.ConfigurationPath, options.Forwarding, errors);
        if (errors.Count > 0)
        {
            Log.OptionsReloadRejected(_logger, string.Join(" ", errors));
            return;
        }

        Volatile.Write(ref _proxies, list);
    }

    public void Dispose() => _subscription?.Dispose();
}
