using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// Accepted verdicts on forwarded certificates, by SHA-256 of the leaf and the forwarded chain, so that a proxy's many
/// requests for one client cost a hash and a lookup, not a path build. A generation belongs to one
/// <see cref="HandshakePolicy"/> (one trust snapshot and one set of peer options): a new snapshot or new options start
/// an empty generation. An entry ends at the earliest notAfter of the leaf, the chain and its anchor. Bounded: when full,
/// the generation starts over. Holds facts (the verdict, the leaf, the claims), never a principal.
/// </summary>
internal sealed class ForwardedVerdictCache(TimeProvider time, int capacity = ForwardedVerdictCache.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private Generation? _current;

    public int Count => Volatile.Read(ref _current)?.Entries.Count ?? 0;

    public bool TryGet(HandshakePolicy policy, in Key key, out Entry entry)
    {
        var generation = Volatile.Read(ref _current);
        if (generation is not null && ReferenceEquals(generation.Policy, policy) && generation.Entries.TryGetValue(key, out entry!))
        {
            if (time.GetUtcNow() < entry.ValidUntil)
            {
                return true;
            }

            generation.Entries.TryRemove(key, out _);
        }

        entry = null!;
        return false;
    }

    public void Add(HandshakePolicy policy, in Key key, Entry entry)
    {
        var generation = Volatile.Read(ref _current);
        if (generation is null || !ReferenceEquals(generation.Policy, policy))
        {
            var fresh = new Generation(policy);
            generation = Interlocked.CompareExchange(ref _current, fresh, generation) == generation ? fresh : Volatile.Read(ref _current)!;
            if (!ReferenceEquals(generation.Policy, policy))
            {
                return;
            }
        }

        if (generation.Entries.Count >= capacity)
        {
            generation.Entries.Clear();
        }

        generation.Entries[key] = entry;
    }

    /// <summary>The SHA-256 of the leaf and the chain (each prefixed by its length), as four words: no string per request.</summary>
    public readonly record struct Key(ulong A, ulong B, ulong C, ulong D)
    {
        public static Key Of(byte[][] certificates)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Span<byte> length = stackalloc byte[4];
            foreach (var der in certificates)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, der.Length);
                hash.AppendData(length);
                hash.AppendData(der);
            }

            Span<byte> digest = stackalloc byte[32];
            hash.GetHashAndReset(digest);
            return new Key(
                BitConverter.ToUInt64(digest[..8]),
                BitConverter.ToUInt64(digest[8..16]),
                BitConverter.ToUInt64(digest[16..24]),
                BitConverter.ToUInt64(digest[24..]));
        }
    }

    /// <summary>An accepted forwarded certificate: the verdict, the leaf handed to <c>Connection.ClientCertificate</c>, when it ends, and its claims.</summary>
    public sealed class Entry(PeerValidationResult result, X509Certificate2 leaf, DateTimeOffset validUntil)
    {
        private (string Issuer, Claim[] Claims)? _claims;

        public PeerValidationResult Result { get; } = result;

        public X509Certificate2 Leaf { get; } = leaf;

        public DateTimeOffset ValidUntil { get; } = validUntil;

        public Claim[] GetClaims(string issuer)
        {
            var claims = _claims;
            if (claims is { } known && string.Equals(known.Issuer, issuer, StringComparison.Ordinal))
            {
                return known.Claims;
            }

            var mapped = MtlsClaimsMapper.Map(Result.Identity!, issuer);
            _claims = (issuer, mapped);
            return mapped;
        }
    }

    private sealed class Generation(HandshakePolicy policy)
    {
        public HandshakePolicy Policy { get; } = policy;

        public ConcurrentDictionary<Key, Entry> Entries { get; } = new();
    }
}
