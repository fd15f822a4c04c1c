namespace Mtls.Extensions.Validation.Internal;

/// <summary>
/// RFC 5280 §6 / RFC 4158 path building that backtracks: from the leaf, every certificate whose subject is the current
/// certificate's issuer (pinned anchors first, then matching key identifiers, then currently valid, then strong keys) is
/// tried; an edge counts only when its signature verifies. Each complete path (ending at a pinned anchor, compared by
/// bytes; a peer-sent copy counts only when byte-identical) is offered to a judge until one is accepted. The work is
/// bounded: paths offered and signatures verified.
/// </summary>
internal sealed class PathBuilder
{
    public const int MaxPathLength = 12;

    private readonly CertificateJudgementCache _cache;
    private readonly IReadOnlyList<ParsedCertificate> _pool;
    private readonly HashSet<(CertificateHash, CertificateHash)>? _preverified;
    private readonly DateTimeOffset _now;
    private readonly int _maxPaths;
    private readonly int _maxSignatures;
    private readonly List<ParsedCertificate> _path = [];

    public PathBuilder(CertificateJudgementCache cache, IReadOnlyList<ParsedCertificate> pool, HashSet<(CertificateHash, CertificateHash)>? preverified, DateTimeOffset now, int maxPaths, int maxSignatures)
    {
        _cache = cache;
        _pool = pool;
        _preverified = preverified;
        _now = now;
        _maxPaths = maxPaths;
        _maxSignatures = maxSignatures;
    }

    public int PathsOffered { get; private set; }
    public int SignaturesVerified { get; private set; }
    public bool LimitExceeded { get; private set; }

    /// <summary>Gets an anchor that had the issuer's name but whose key did not sign: the mark of an impostor CA.</summary>
    public ParsedCertificate? ImpostorNamed { get; private set; }

    /// <summary>Gets a peer-sent certificate that had the issuer's name but whose signature did not verify.</summary>
    public ParsedCertificate? BadSignatureFrom { get; private set; }

    /// <summary>Gets the top of the longest path that reached no anchor.</summary>
    public ParsedCertificate[]? LongestDeadEnd { get; private set; }

    /// <summary>Offers complete paths (leaf first, anchor last) to <paramref name="judge"/> until it returns <see langword="true"/>.</summary>
    public bool Build(ParsedCertificate leaf, Func<ParsedCertificate[], bool> judge)
    {
        _path.Clear();
        _path.Add(leaf);
        return Extend(judge);
    }

    private bool Extend(Func<ParsedCertificate[], bool> judge)
    {
        var top = _path[^1];
        if (_cache.AnchorHashes.Contains(top.Hash))
        {
            PathsOffered++;
            if (PathsOffered > _maxPaths)
            {
                LimitExceeded = true;
                return false;
            }

            return judge([.. _path]);
        }

        var extended = false;
        if (_path.Count < MaxPathLength)
        {
            foreach (var candidate in Candidates(top))
            {
                if (LimitExceeded)
                {
                    return false;
                }

                if (!SignedBy(top, candidate))
                {
                    continue;
                }

                extended = true;
                _path.Add(candidate);
                var accepted = Extend(judge);
                _path.RemoveAt(_path.Count - 1);
                if (accepted)
                {
                    return true;
                }
            }
        }

        if (!extended && (LongestDeadEnd is null || LongestDeadEnd.Length < _path.Count))
        {
            LongestDeadEnd = [.. _path];
        }

        return false;
    }

    private bool SignedBy(ParsedCertificate subject, ParsedCertificate issuer)
    {
        if (_cache.KnownSignature(subject, issuer) || (_preverified?.Contains((subject.Hash, issuer.Hash)) ?? false))
        {
            return true;
        }

        if (SignaturesVerified >= _maxSignatures)
        {
            LimitExceeded = true;
            return false;
        }

        SignaturesVerified++;
        if (SignatureVerifier.Verify(subject, issuer) == SignatureCheck.Valid)
        {
            return true;
        }

        if (_cache.AnchorHashes.Contains(issuer.Hash))
        {
            ImpostorNamed ??= issuer;
        }
        else
        {
            BadSignatureFrom ??= issuer;
        }

        return false;
    }

    private List<ParsedCertificate> Candidates(ParsedCertificate top)
    {
        var list = new List<(ParsedCertificate Certificate, int Rank)>();
        foreach (var anchor in _cache.Anchors)
        {
            Consider(anchor, 0);
        }

        foreach (var certificate in _pool)
        {
            Consider(certificate, 4);
        }

        list.Sort(static (a, b) => a.Rank.CompareTo(b.Rank));
        return list.ConvertAll(c => c.Certificate);

        void Consider(ParsedCertificate candidate, int rank)
        {
            if (!candidate.Subject.Span.SequenceEqual(top.Issuer.Span))
            {
                return;
            }

            foreach (var inPath in _path)
            {
                if (inPath.Hash == candidate.Hash || (inPath != _path[0] && inPath.SameKeyAs(candidate) && inPath.Subject.Span.SequenceEqual(candidate.Subject.Span)))
                {
                    return; // a loop, or the same CA again in another version
                }
            }

            foreach (var (existing, _) in list)
            {
                if (existing.Hash == candidate.Hash)
                {
                    return;
                }
            }

            if (top.AuthorityKeyId?.KeyId is { } aki && candidate.SubjectKeyId is { } ski && !aki.AsSpan().SequenceEqual(ski))
            {
                rank += 2;
            }

            if (_now < candidate.NotBefore || _now > candidate.NotAfter.AddSeconds(1))
            {
                rank += 1;
            }

            if (candidate.Key is null || KeyJudge.Judge(candidate.Key, 2048) is not null)
            {
                rank += 1;
            }

            list.Add((candidate, rank));
        }
    }
}
