using System.Collections.Concurrent;

namespace Mtls.Extensions.Handshake;

/// <summary>
/// The chains peers presented in accepted full handshakes, by SHA-256 of the leaf, so that a resumed session (whose
/// handshake carries the leaf only) is judged with the intermediates the peer sent. Bounded: only accepted chains enter,
/// at most <see cref="Capacity"/> of them (the oldest leaves first), so no peer can grow it without limit. Lives across
/// trust snapshots: a session established under the old trust is judged against the new one with its own chain.
/// </summary>
internal sealed class PeerChainCache(int capacity = PeerChainCache.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly ConcurrentDictionary<string, PeerChain> _chains = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public int Capacity { get; } = capacity;

    public int Count => _chains.Count;

    public bool TryGet(string leafHash, out PeerChain chain) => _chains.TryGetValue(leafHash, out chain!);

    /// <summary>Keeps the chain of the latest accepted full handshake of its leaf.</summary>
    public void Remember(PeerChain chain)
    {
        if (_chains.TryAdd(chain.LeafHash, chain))
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

        _chains[chain.LeafHash] = chain;
    }
}
