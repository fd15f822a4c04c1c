using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// A peer's leaf and the intermediates it sent in a full handshake, copied out of the handshake (SslStream disposes its
/// own objects), keyed by the SHA-256 of the leaf's bytes. Immutable; shared by every connection of that certificate.
/// </summary>
internal sealed class PeerChain
{
    public PeerChain(string leafHash, X509Certificate2 leaf, X509Certificate2[] intermediates)
    {
        LeafHash = leafHash;
        Leaf = leaf;
        IntermediatesArray = intermediates;
        var notAfter = leaf.NotAfter;
        foreach (var intermediate in intermediates)
        {
            if (intermediate.NotAfter < notAfter)
            {
                notAfter = intermediate.NotAfter;
            }
        }

        NotAfter = new DateTimeOffset(notAfter.ToUniversalTime(), TimeSpan.Zero);
    }

    public string LeafHash { get; }

    public X509Certificate2 Leaf { get; }

    public IReadOnlyList<X509Certificate2> Intermediates => IntermediatesArray;

    /// <summary>Gets the intermediates as the array they are kept in (interned: shared by the peer's connections).</summary>
    public X509Certificate2[] IntermediatesArray { get; }

    /// <summary>Gets the earliest notAfter of the leaf and the intermediates.</summary>
    public DateTimeOffset NotAfter { get; }

    public X509Certificate2Collection IntermediatesCollection() => [.. Intermediates];

    public static string Hash(X509Certificate2 leaf) => Convert.ToHexString(SHA256.HashData(leaf.RawDataMemory.Span));

    /// <summary>
    /// A copy that outlives the handshake's own object (SslStream disposes it): a new reference to the same native
    /// certificate, not a new parse. Loading the bytes again (<see cref="X509CertificateLoader"/>) costs about 0.2 ms per
    /// certificate on Linux, as much as half of the chain build; a handle copy costs well under a microsecond.
    /// </summary>
    public static X509Certificate2 Share(X509Certificate2 certificate) => new(certificate.Handle);

    /// <summary>Copies the leaf and the certificates the peer sent besides it (at most <paramref name="max"/>).</summary>
    public static PeerChain Copy(string leafHash, X509Certificate2 leaf, X509Certificate2Collection? sent, int max)
    {
        var intermediates = new List<X509Certificate2>();
        if (sent is not null)
        {
            foreach (var certificate in sent)
            {
                if (intermediates.Count >= max)
                {
                    break;
                }

                if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    intermediates.Add(Share(certificate));
                }
            }
        }

        return new PeerChain(leafHash, Share(leaf), [.. intermediates]);
    }

    /// <summary>Counts the certificates the peer sent besides its leaf.</summary>
    public static int CountIntermediates(X509Certificate2 leaf, X509Certificate2Collection? sent)
    {
        if (sent is null)
        {
            return 0;
        }

        var count = 0;
        foreach (var certificate in sent)
        {
            if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                count++;
            }
        }

        return count;
    }
}
