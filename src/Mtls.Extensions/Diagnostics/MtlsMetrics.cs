using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// Every instrument of the <c>Mtls.Extensions</c> meter. Tags are low-cardinality: never a thumbprint or subject. Tag
/// names follow the OpenTelemetry conventions: lowercase, dot-separated namespaces, no name that is also a namespace
/// (<c>mtls.source.name</c> beside <c>mtls.source.kind</c>), and the semantic-convention attribute where one exists
/// (<c>error.type</c>, <c>tls.resumed</c>).
/// </summary>
/// <remarks>
/// Infrastructure for the sibling packages, which record on the same instruments; one instance per service provider,
/// registered by <see cref="Microsoft.Extensions.DependencyInjection.MtlsCoreServiceCollectionExtensions.AddMtlsCore"/>.
/// Applications read the instruments with a meter listener or OpenTelemetry (<see cref="MtlsDiagnostics.MeterName"/>).
/// </remarks>
public sealed class MtlsMetrics
{
    /// <summary>The role of the peer whose certificate was judged: <c>client</c> on the server, <c>server</c> on a client.</summary>
    internal const string PeerRoleTag = "mtls.peer.role";
    internal const string ValidationResultTag = "mtls.validation.result";
    internal const string ErrorTypeTag = "error.type";
    internal const string ResumedTag = "tls.resumed";
    internal const string CloseReasonTag = "mtls.close.reason";
    internal const string SourceNameTag = "mtls.source.name";
    internal const string SourceKindTag = "mtls.source.kind";
    internal const string ReloadResultTag = "mtls.reload.result";
    internal const string CertificateKindTag = "mtls.certificate.kind";
    internal const string ClientTag = "mtls.client";
    internal const string AuthorizationPolicyTag = "mtls.authorization.policy";
    internal const string CrlIssuerTag = "mtls.crl.issuer";
    internal const string TlsFailureTag = "mtls.tls.failure";

    private readonly Counter<long> _validations;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _recycles;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _activeHandlers = new(StringComparer.Ordinal);
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _denied;

    internal MtlsMetrics(IMeterFactory meterFactory, MtlsSourceRegistry registry, TimeProvider timeProvider)
    {
        var meter = meterFactory.Create(MtlsDiagnostics.MeterName);
        _validations = meter.CreateCounter<long>(MtlsDiagnostics.ValidationsInstrument, "{validation}", "Peer certificates checked against the pinned CA.");
        _reloads = meter.CreateCounter<long>(MtlsDiagnostics.ReloadsInstrument, "{reload}", "Certificate and trust bundle reloads.");
        _recycles = meter.CreateCounter<long>(MtlsDiagnostics.HandlerRecyclesInstrument, "{handler}", "HTTP client primary handlers replaced after a rotation.");
        _handshakes = meter.CreateCounter<long>(MtlsDiagnostics.HandshakesInstrument, "{handshake}", "TLS handshakes judged, full or resumed.");
        _closed = meter.CreateCounter<long>(MtlsDiagnostics.ConnectionsClosedInstrument, "{connection}", "Connections ended because their peer's trust ended.");
        _denied = meter.CreateCounter<long>(MtlsDiagnostics.AuthorizationDeniedInstrument, "{request}", "Requests of an accepted mutual TLS peer refused (403) by an authorization requirement.");
        // An observable gauge, not an up-down counter: a listener attached after start-up reads the current count.
        meter.CreateObservableGauge(MtlsDiagnostics.ActiveHandlersInstrument, ObserveActiveHandlers, "{handler}", "Live HTTP client primary handlers, current and draining.");
        meter.CreateObservableGauge(MtlsDiagnostics.TimeToExpiryInstrument, () => ObserveExpiry(registry, timeProvider), "s", "Seconds until the loaded certificate or pinned CA expires.");
        meter.CreateObservableGauge(MtlsDiagnostics.CrlAgeInstrument, () => ObserveCrlAge(registry, timeProvider), "s", "Seconds since each loaded CRL was issued (its thisUpdate).");
    }

    /// <summary>Counts one peer certificate judged (<see cref="MtlsDiagnostics.ValidationsInstrument"/>).</summary>
    /// <param name="role">The peer's role.</param>
    /// <param name="reason">The rejection reason, or <see cref="MtlsRejectionReason.None"/> when accepted.</param>
    public void Validated(PeerRole role, MtlsRejectionReason reason)
    {
        if (!_validations.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { PeerRoleTag, role == PeerRole.Client ? "client" : "server" },
            { ValidationResultTag, reason == MtlsRejectionReason.None ? "success" : "failure" },
        };
        if (reason != MtlsRejectionReason.None)
        {
            tags.Add(ErrorTypeTag, reason.ToString());
        }

        _validations.Add(1, tags);
    }

    /// <summary>
    /// Counts one handshake the TLS stack ended before the peer's certificate was judged (<see cref="MtlsDiagnostics.ValidationsInstrument"/>,
    /// <c>error.type</c> <see cref="MtlsRejectionReason.HandshakeFailed"/>), tagged <c>mtls.tls.failure</c> with its class.
    /// </summary>
    /// <param name="role">The peer's role.</param>
    /// <param name="failure">The class of TLS failure: one of a fixed set of names (<c>closed</c>, <c>protocol_version</c>, <c>size_limit</c>...).</param>
    public void HandshakeFailed(PeerRole role, string failure)
    {
        if (!_validations.Enabled)
        {
            return;
        }

        _validations.Add(1, new TagList
        {
            { PeerRoleTag, role == PeerRole.Client ? "client" : "server" },
            { ValidationResultTag, "failure" },
            { ErrorTypeTag, nameof(MtlsRejectionReason.HandshakeFailed) },
            { TlsFailureTag, failure },
        });
    }

    internal void Handshake(PeerRole role, bool resumed, MtlsRejectionReason reason)
    {
        if (!_handshakes.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { PeerRoleTag, role == PeerRole.Client ? "client" : "server" },
            { ResumedTag, resumed },
            { ValidationResultTag, reason == MtlsRejectionReason.None ? "success" : "failure" },
        };
        if (reason != MtlsRejectionReason.None)
        {
            tags.Add(ErrorTypeTag, reason.ToString());
        }

        _handshakes.Add(1, tags);
    }

    /// <summary>Counts one connection ended because its peer no longer qualifies (<see cref="MtlsDiagnostics.ConnectionsClosedInstrument"/>).</summary>
    /// <param name="role">The peer's role.</param>
    /// <param name="expired">Whether the peer's certificate chain expired (otherwise the trust or the allowed peers changed).</param>
    /// <param name="reason">Why the peer no longer qualifies.</param>
    public void ConnectionClosed(PeerRole role, bool expired, MtlsRejectionReason reason)
    {
        if (_closed.Enabled)
        {
            _closed.Add(1, new TagList
            {
                { PeerRoleTag, role == PeerRole.Client ? "client" : "server" },
                { CloseReasonTag, expired ? "certificate_expired" : "trust_changed" },
                { ErrorTypeTag, reason.ToString() },
            });
        }
    }

    /// <summary>Counts one request of an accepted peer refused by an authorization requirement (<see cref="MtlsDiagnostics.AuthorizationDeniedInstrument"/>).</summary>
    /// <param name="policy">The policy that refused it: its name, or what it requires when it has none. Never the peer.</param>
    public void AuthorizationDenied(string policy)
    {
        if (_denied.Enabled)
        {
            _denied.Add(1, new KeyValuePair<string, object?>(AuthorizationPolicyTag, policy));
        }
    }

    /// <summary>Counts one reload of a certificate or trust bundle source (<see cref="MtlsDiagnostics.ReloadsInstrument"/>).</summary>
    /// <param name="source">The source's name (<c>server</c>, <c>client:inventory</c>).</param>
    /// <param name="kind">The source's kind: <c>certificate</c> or <c>trust-bundle</c>.</param>
    /// <param name="succeeded">Whether the reload succeeded.</param>
    public void Reloaded(string source, string kind, bool succeeded)
    {
        if (_reloads.Enabled)
        {
            // mtls.source.name: the name the entry point gave the source (server, client:inventory), as on the expiry gauge.
            _reloads.Add(1, new TagList { { SourceNameTag, source }, { SourceKindTag, kind }, { ReloadResultTag, succeeded ? "success" : "failure" } });
        }
    }

    /// <summary>Counts one HTTP client primary handler replaced after a rotation (<see cref="MtlsDiagnostics.HandlerRecyclesInstrument"/>).</summary>
    /// <param name="client">The client's name.</param>
    public void HandlerRecycled(string client)
    {
        if (_recycles.Enabled)
        {
            _recycles.Add(1, new KeyValuePair<string, object?>(ClientTag, client));
        }
    }

    /// <summary>Counts one more live HTTP client primary handler (<see cref="MtlsDiagnostics.ActiveHandlersInstrument"/>).</summary>
    /// <param name="client">The client's name.</param>
    public void HandlerCreated(string client) => Interlocked.Increment(ref _activeHandlers.GetOrAdd(client, static _ => new StrongBox<long>()).Value);

    /// <summary>Counts one live HTTP client primary handler fewer (<see cref="MtlsDiagnostics.ActiveHandlersInstrument"/>).</summary>
    /// <param name="client">The client's name.</param>
    public void HandlerDisposed(string client) => Interlocked.Decrement(ref _activeHandlers.GetOrAdd(client, static _ => new StrongBox<long>()).Value);

    private IEnumerable<Measurement<long>> ObserveActiveHandlers()
    {
        foreach (var (client, count) in _activeHandlers)
        {
            yield return new Measurement<long>(Interlocked.Read(ref count.Value), new KeyValuePair<string, object?>(ClientTag, client));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveCrlAge(MtlsSourceRegistry registry, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        foreach (var entry in registry.Snapshot())
        {
            if (entry is not ReloadingRevocationSource revocation)
            {
                continue;
            }

            foreach (var crl in revocation.Current.Crls)
            {
                yield return new Measurement<double>(
                    (now - crl.ThisUpdate).TotalSeconds,
                    new KeyValuePair<string, object?>(SourceNameTag, entry.Name),
                    new KeyValuePair<string, object?>(CrlIssuerTag, PeerText.Escape(crl.IssuerText)));
            }
        }
    }

    private static IEnumerable<Measurement<double>> ObserveExpiry(MtlsSourceRegistry registry, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        foreach (var entry in registry.Snapshot())
        {
            foreach (var (kind, notAfter) in entry.Expiries())
            {
                yield return new Measurement<double>(
                    (notAfter - now).TotalSeconds,
                    new KeyValuePair<string, object?>(SourceNameTag, entry.Name),
                    new KeyValuePair<string, object?>(CertificateKindTag, kind));
            }
        }
    }
}
