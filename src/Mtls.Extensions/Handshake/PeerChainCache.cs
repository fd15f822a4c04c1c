using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// The intermediates peers sent in accepted full handshakes, by SHA-256 of the leaf, so that a resumed session (whose
/// handshake carries the leaf only) is judged with the intermediates its peer sent. Process-wide, like the TLS session
/// caches it mirrors (a ticket is accepted by every server in the process that serves the same certificate). Holds facts
/// only, never verdicts: every use judges the chain against the trust in force. Bounded: only accepted chains enter the main store,
/// each entry is a hash and a reference to interned intermediates, at most <see cref="Capacity"/> leaves (the oldest go
/// first) and <see cref="IntermediateCapacity"/> distinct intermediates, so no peer can grow it without limit. What the
/// peers of refused full handshakes sent is kept apart (at most <see cref="RefusedCapacity"/> leaves), only so that a
/// session they resume is refused for the reason their full handshake was. A full handshake is always judged on what its
/// peer sent: these chains serve sessions that may be resumed only.
/// </summary>
/// <remarks>Infrastructure: hand <see cref="Shared"/> to every <see cref="HandshakePolicy"/>.</remarks>
public sealed class PeerChainCache
{
    internal const int DefaultCapacity = 65536;
    internal const int IntermediateCapacity = 1024;
    internal const int RefusedCapacity = 1024;

    private readonly ConcurrentDictionary<string, X509Certificate2[]> _chains = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly ConcurrentDictionary<string, X509Certificate2> _intermediates = new(StringComparer.Ordinal);

    // Refused full handshakes, apart: their peers cannot evict the chains of accepted ones. A session set up by a refused
    // handshake (a TLS 1.2 ticket sent before the verdict, or ClientCertificateMode Allow) that comes back is judged with
    // what its peer sent, so it gets the reason a full handshake gets (Expired, not PartialChain).
    private readonly ConcurrentDictionary<string, X509Certificate2[]> _refused = new(StringComparer.Ordinal);

    internal PeerChainCache(int capacity = DefaultCapacity) => Capacity = capacity;

    /// <summary>Gets the cache every server and client in the process shares.</summary>
    /// <value>The process-wide cache.</value>
    public static PeerChainCache Shared { get; } = new();

    internal int Capacity { get; }

    internal int Count => _chains.Count;

    internal bool TryGet(string leafHash, out X509Certificate2[] intermediates) => _chains.TryGetValue(leafHash, out intermediates!);

    internal bool TryGetRefused(string leafHash, out X509Certificate2[] intermediates) => _refused.TryGetValue(leafHash, out intermediates!);

    /// <summary>Keeps what the peer of a refused full handshake sent (bounded apart from accepted chains; cleared when full).</summary>
    internal void RememberRefused(PeerChain chain)
    {
        if (_refused.Count >= RefusedCapacity)
        {
            _refused.Clear();
        }

        _refused[chain.LeafHash] = [.. chain.Intermediates];
    }

    /// <summary>Keeps the intermediates of the latest accepted full handshake of a leaf.</summary>
    internal void Remember(PeerChain chain)
    {
        if (_chains.TryGetValue(chain.LeafHash, out var known) && Same(known, chain.Intermediates))
        {
            return;
        }

        var interned = new X509Certificate2[chain.Intermediates.Count];
        if (_intermediates.Count > IntermediateCapacity)
        {
            _intermediates.Clear();
        }

        for (var i = 0; i < interned.Length; i++)
        {
            var certificate = chain.Intermediates[i];
            interned[i] = _intermediates.GetOrAdd(Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span)), certificate);
        }

        if (_chains.TryAdd(chain.LeafHash, interned))
        {
            _order.Enqueue(chain.LeafHash);
            while (_chains.Count > Capacity)
            {
                if (_order.TryDequeue(out var oldest))
                {
                    _chains.TryRemove(oldest, out _);
                }
                else
                {
                    _chains.Clear();
                }
            }

            return;
        }

        _chains[chain.LeafHash] = interned;
    }

    private static bool Same(X509Certificate2[] known, IReadOnlyList<X509Certificate2> sent)
    {
        if (known.Length != sent.Count)
        {
            return false;
        }

        for (var i = 0; i < known.Length; i++)
        {
            if (!known[i].RawDataMemory.Span.SequenceEqual(sent[i].RawDataMemory.Span))
            {
                return false;
            }
        }

        return true;
    }
}
