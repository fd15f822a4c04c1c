using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;

using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// One primary <see cref="SocketsHttpHandler"/> built for one certificate and trust bundle snapshot, reference-counted:
/// the pool holds one reference while the lease is current, every request holds one until its response body is
/// consumed or disposed. When a rotation retires the lease and the last request lets go, the handler is disposed.
/// </summary>
internal sealed class HandlerLease
{
    private readonly Action<HandlerLease> _onDrained;
    private ReferenceCount _references = new();

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

    public bool IsDisposed => _references.IsZero;

    private readonly ConcurrentDictionary<string, Verdict> _verdicts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Records this handler's latest verdict on a server's certificate (one per handshake, not per request).</summary>
    public void RecordVerdict(string host, PeerValidationResult result) => _verdicts[host] = new Verdict(Stopwatch.GetTimestamp(), result);

    /// <summary>Gets the verdict of a handshake with <paramref name="host"/> that happened after <paramref name="since"/>.</summary>
    public PeerValidationResult? VerdictSince(string host, long since) =>
        _verdicts.TryGetValue(host, out var verdict) && verdict.Timestamp >= since ? verdict.Result : null;

    private sealed record Verdict(long Timestamp, PeerValidationResult Result);

    /// <summary>Takes a reference unless the lease has already drained.</summary>
    public bool TryAcquire() => _references.TryAcquire();

    /// <summary>Drops a reference; the last one disposes the handler.</summary>
    public void Release()
    {
        var left = _references.Release();
        if (left < 0)
        {
            throw new InvalidOperationException($"The handler lease of generation {Generation} was released more often than acquired.");
        }

        if (left == 0)
        {
            Invoker.Dispose();
            Handler.Dispose();
            _onDrained(this);
        }
    }
}
