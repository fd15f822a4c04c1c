using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Validation.Internal;

/// <summary>
/// What repeats across handshakes under one trust snapshot: the parsed anchors, parsed certificates of accepted paths and
/// the signatures already verified between them, keyed by the SHA-256 of the certificates' bytes. Bounded (cleared when
/// full), filled only from paths that reached a pinned anchor (so a peer cannot fill it with junk), and attached to the
/// <see cref="TrustBundle"/> instance: when the snapshot is replaced and collected, its cache goes with it.
/// </summary>
internal sealed class CertificateJudgementCache
{
    public const int MaxCertificates = 1024;
    public const int MaxSignatures = 4096;

    private static readonly ConditionalWeakTable<TrustBundle, CertificateJudgementCache> PerTrust = [];

    private readonly ConcurrentDictionary<CertificateHash, ParsedCertificate> _certificates = new();
    private readonly ConcurrentDictionary<(CertificateHash Subject, CertificateHash Issuer), bool> _signatures = new();

    private CertificateJudgementCache(TrustBundle trust)
    {
        var anchors = new List<ParsedCertificate>();
        var problems = new List<string>();
        foreach (var anchor in trust.Anchors)
        {
            var raw = anchor.RawData;
            try
            {
                anchors.Add(ParsedCertificate.Parse(raw, CertificateHash.Of(raw), anchor.Subject));
            }
            catch (CryptographicException ex)
            {
                problems.Add($"the pinned CA {anchor.Subject} (SHA-256 {Convert.ToHexString(anchor.GetCertHash(HashAlgorithmName.SHA256))[..16]}…) is malformed: {ex.Message}");
            }
        }

        Anchors = anchors;
        AnchorProblems = problems;
        AnchorHashes = [.. anchors.Select(a => a.Hash)];
    }

    public IReadOnlyList<ParsedCertificate> Anchors { get; }
    public IReadOnlyList<string> AnchorProblems { get; }
    public HashSet<CertificateHash> AnchorHashes { get; }

    public int CertificateCount => _certificates.Count;

    public static CertificateJudgementCache For(TrustBundle trust) => PerTrust.GetValue(trust, static t => new CertificateJudgementCache(t));

    /// <summary>The parsed form of a certificate: cached when known, parsed now otherwise (not cached until it is part of an anchored path).</summary>
    public ParsedCertificate Get(X509Certificate2 certificate, out bool cached)
    {
        var raw = certificate.RawDataMemory;
        var hash = CertificateHash.Of(raw.Span);
        if (_certificates.TryGetValue(hash, out var parsed))
        {
            cached = true;
            return parsed;
        }

        foreach (var anchor in Anchors)
        {
            if (anchor.Hash == hash)
            {
                cached = true;
                return anchor;
            }
        }

        cached = false;
        return ParsedCertificate.Parse(raw.ToArray(), hash, certificate.Subject);
    }

    /// <summary>
    /// Whether a certificate named <paramref name="subject"/> (with <paramref name="keyId"/>, when given) is an intermediate of
    /// a path that reached a pinned anchor under this snapshot: for the diagnosis of a chain that stops at it, never for trust.
    /// </summary>
    public bool IsKnownIntermediate(ReadOnlySpan<byte> subject, byte[]? keyId)
    {
        foreach (var certificate in _certificates.Values)
        {
            if (certificate.IsCa && certificate.Subject.Span.SequenceEqual(subject) && (keyId is null || certificate.SubjectKeyId is null || certificate.SubjectKeyId.AsSpan().SequenceEqual(keyId)))
            {
                return true;
            }
        }

        return false;
    }

    public bool KnownSignature(ParsedCertificate subject, ParsedCertificate issuer) => _signatures.ContainsKey((subject.Hash, issuer.Hash));

    /// <summary>Remembers the certificates and signatures of a path that reached a pinned anchor.</summary>
    public void Remember(IReadOnlyList<ParsedCertificate> path)
    {
        if (_certificates.Count >= MaxCertificates)
        {
            _certificates.Clear();
        }

        if (_signatures.Count >= MaxSignatures)
        {
            _signatures.Clear();
        }

        for (var i = 0; i < path.Count; i++)
        {
            if (!AnchorHashes.Contains(path[i].Hash))
            {
                _certificates.TryAdd(path[i].Hash, path[i]);
            }

            if (i + 1 < path.Count)
            {
                _signatures.TryAdd((path[i].Hash, path[i + 1].Hash), true);
            }
        }
    }
}
