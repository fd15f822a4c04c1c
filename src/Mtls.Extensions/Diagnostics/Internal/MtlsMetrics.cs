using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Mtls.Extensions.Internal;

/// <summary>Every instrument of the <c>Mtls.Extensions</c> meter. Tags are low-cardinality: never a thumbprint or subject.</summary>
internal sealed class MtlsMetrics
{
    private readonly Counter<long> _validations;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _recycles;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _activeHandlers = new(StringComparer.Ordinal);
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _closed;

    public MtlsMetrics(IMeterFactory meterFactory, MtlsSourceRegistry registry, TimeProvider timeProvider)
    {
        var meter = meterFactory.Create(MtlsDiagnostics.MeterName);
        _validations = meter.CreateCounter<long>(MtlsDiagnostics.ValidationsInstrument, "{validation}", "Peer certificates checked against the pinned CA.");
        _reloads = meter.CreateCounter<long>(MtlsDiagnostics.ReloadsInstrument, "{reload}", "Certificate and trust bundle reloads.");
        _recycles = meter.CreateCounter<long>(MtlsDiagnostics.HandlerRecyclesInstrument, "{handler}", "HTTP client primary handlers replaced after a rotation.");
        _handshakes = meter.CreateCounter<long>(MtlsDiagnostics.HandshakesInstrument, "{handshake}", "TLS handshakes judged, full or resumed.");
        _closed = meter.CreateCounter<long>(MtlsDiagnostics.ConnectionsClosedInstrument, "{connection}", "Connections ended because their peer's trust ended.");
        // An observable gauge, not an up-down counter: a listener attached after start-up reads the current count.
        meter.CreateObservableGauge(MtlsDiagnostics.ActiveHandlersInstrument, ObserveActiveHandlers, "{handler}", "Live HTTP client primary handlers, current and draining.");
        meter.CreateObservableGauge(MtlsDiagnostics.TimeToExpiryInstrument, () => ObserveExpiry(registry, timeProvider), "s", "Seconds until the loaded certificate or pinned CA expires.");
    }

    public void Validated(PeerRole role, MtlsRejectionReason reason)
    {
        if (!_validations.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "mtls.role", role == PeerRole.Client ? "client" : "server" },
            { "mtls.validation.result", reason == MtlsRejectionReason.None ? "success" : "failure" },
        };
        if (reason != MtlsRejectionReason.None)
        {
            tags.Add("error.type", reason.ToString());
        }

        _validations.Add(1, tags);
    }

    public void Handshake(PeerRole role, bool resumed, MtlsRejectionReason reason)
    {
        if (!_handshakes.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "mtls.role", role == PeerRole.Client ? "client" : "server" },
            { "tls.session_reused", resumed },
            { "mtls.validation.result", reason == MtlsRejectionReason.None ? "success" : "failure" },
        };
        if (reason != MtlsRejectionReason.None)
        {
            tags.Add("error.type", reason.ToString());
        }

        _handshakes.Add(1, tags);
    }

    public void ConnectionClosed(PeerRole role, bool expired, MtlsRejectionReason reason)
    {
        if (_closed.Enabled)
        {
            _closed.Add(1, new TagList
            {
                { "mtls.role", role == PeerRole.Client ? "client" : "server" },
                { "mtls.close.reason", expired ? "certificate_expired" : "trust_changed" },
                { "error.type", reason.ToString() },
            });
        }
    }

    public void Reloaded(string source, string kind, bool succeeded)
    {
        if (_reloads.Enabled)
        {
            // mtls.source: the name the entry point gave the source (server, client:inventory), as on the expiry gauge.
            _reloads.Add(1, new TagList { { "mtls.source", source }, { "mtls.source.kind", kind }, { "mtls.reload.result", succeeded ? "success" : "failure" } });
        }
    }

    public void HandlerRecycled(string client)
    {
        if (_recycles.Enabled)
        {
            _recycles.Add(1, new KeyValuePair<string, object?>("mtls.client", client));
        }
    }

    public void HandlerCreated(string client) => Interlocked.Increment(ref _activeHandlers.GetOrAdd(client, static _ => new StrongBox<long>()).Value);

    public void HandlerDisposed(string client) => Interlocked.Decrement(ref _activeHandlers.GetOrAdd(client, static _ => new StrongBox<long>()).Value);

    private IEnumerable<Measurement<long>> ObserveActiveHandlers()
    {
        foreach (var (client, count) in _activeHandlers)
        {
            yield return new Measurement<long>(Interlocked.Read(ref count.Value), new KeyValuePair<string, object?>("mtls.client", client));
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
                    new KeyValuePair<string, object?>("mtls.source", entry.Name),
                    new KeyValuePair<string, object?>("mtls.certificate.kind", kind));
            }
        }
    }
}
