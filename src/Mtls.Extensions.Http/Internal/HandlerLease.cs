using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// One primary <see cref="SocketsHttpHandler"/> built for one certificate and trust bundle snapshot, reference-counted:
/// the pool holds one reference while the lease is current, every request holds one until its response body is
/// consumed or disposed. When a rotation retires the lease and the last request lets go, the handler is disposed.
/// </summary>
internal sealed class HandlerLease
{
    private readonly Action<HandlerLease> _onDrained;
    private int _references = 1;

    public HandlerLease(long generation, SocketsHttpHandler handler, CertificateMaterial material, TrustBundle trust, Action<HandlerLease> onDrained)
    {
        Generation = generation;
        Handler = handler;
        Invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        Material = material;
        Trust = trust;
        _onDrained = onDrained;
    }

    public long Generation { get; }

    public SocketsHttpHandler Handler { get; }

    public HttpMessageInvoker Invoker { get; }

    public CertificateMaterial Material { get; }

    public TrustBundle Trust { get; }

    public bool IsDisposed => Volatile.Read(ref _references) == 0;

    private readonly ConcurrentDictionary<string, Verdict> _verdicts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Records this handler's latest verdict on a server's certificate (one per handshake, not per request).</summary>
    public void RecordVerdict(string host, PeerValidationResult result) => _verdicts[host] = new Verdict(Stopwatch.GetTimestamp(), result);

    /// <summary>Gets the verdict of a handshake with <paramref name="host"/> that happened after <paramref name="since"/>.</summary>
    public PeerValidationResult? VerdictSince(string host, long since) =>
        _verdicts.TryGetValue(host, out var verdict) && verdict.Timestamp >= since ? verdict.Result : null;

    private sealed record Verdict(long Timestamp, PeerValidationResult Result);

    /// <summary>Takes a reference unless the lease has already drained.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; the last one disposes the handler.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Invoker.Dispose();
            Handler.Dispose();
            _onDrained(this);
        }
    }
}
