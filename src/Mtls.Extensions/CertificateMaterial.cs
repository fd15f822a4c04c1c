using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions;

/// <summary>
/// An immutable snapshot of our own certificate: the leaf with its private key, its intermediates and a
/// prebuilt <see cref="SslStreamCertificateContext"/> (built offline once, so the intermediates are sent on
/// every handshake and no chain is built per handshake). A rotation produces a new snapshot.
/// </summary>
public sealed class CertificateMaterial
{
    private CertificateMaterial(X509Certificate2 certificate, X509Certificate2[] intermediates, string source)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        Source = source;
        ThumbprintSha256 = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        Identity = PeerIdentity.FromCertificate(certificate);
        Context = SslStreamCertificateContext.Create(certificate, new X509Certificate2Collection(intermediates), offline: true);
    }

    /// <summary>Gets the leaf certificate, with its private key.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the intermediates sent with the leaf, leaf-most first.</summary>
    /// <value>Possibly empty.</value>
    public IReadOnlyList<X509Certificate2> Intermediates { get; }

    /// <summary>Gets the context handed to <see cref="SslStream"/> (server certificate or client certificate).</summary>
    /// <value>Built once per snapshot.</value>
    public SslStreamCertificateContext Context { get; }

    /// <summary>Gets the identity of the leaf.</summary>
    /// <value>Parsed once.</value>
    public PeerIdentity Identity { get; }

    /// <summary>Gets the SHA-256 thumbprint of the leaf in uppercase hexadecimal.</summary>
    /// <value>64 hexadecimal characters.</value>
    public string ThumbprintSha256 { get; }

    /// <summary>Gets the start of the leaf's validity period.</summary>
    /// <value>In UTC.</value>
    public DateTimeOffset NotBefore { get; }

    /// <summary>Gets the end of the leaf's validity period.</summary>
    /// <value>In UTC.</value>
    public DateTimeOffset NotAfter { get; }

    /// <summary>Gets a description of where the material came from (a path or configuration key).</summary>
    /// <value>Never <see langword="null"/>.</value>
    public string Source { get; }

    /// <summary>Creates a snapshot from a certificate that has its private key.</summary>
    /// <param name="certificate">The leaf, with its private key.</param>
    /// <param name="intermediates">The intermediates to send with it, leaf-most first.</param>
    /// <param name="source">A description of where it came from.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The certificate has no private key.</exception>
    public static CertificateMaterial Create(X509Certificate2 certificate, IEnumerable<X509Certificate2>? intermediates = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The certificate {certificate.Subject} has no private key.", nameof(certificate));
        }

        return new CertificateMaterial(certificate, intermediates?.ToArray() ?? [], source ?? "inline");
    }

    /// <summary>Determines whether another snapshot holds exactly the same certificates (leaf and chain).</summary>
    /// <param name="other">The other snapshot.</param>
    /// <returns><see langword="true"/> when leaf and intermediates are byte-for-byte equal.</returns>
    public bool HasSameContent(CertificateMaterial? other)
    {
        if (other is null || other.ThumbprintSha256 != ThumbprintSha256 || other.Intermediates.Count != Intermediates.Count)
        {
            return false;
        }

        for (var i = 0; i < Intermediates.Count; i++)
        {
            if (!Intermediates[i].RawDataMemory.Span.SequenceEqual(other.Intermediates[i].RawDataMemory.Span))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Identity.DisplayName} (SHA-256 {ThumbprintSha256}, valid until {NotAfter:u})";
}
