using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using Mtls.Extensions.Internal;

namespace Mtls.Extensions;

/// <summary>
/// An immutable snapshot of our own certificate: the leaf with its private key, its intermediates and a
/// prebuilt <see cref="SslStreamCertificateContext"/> (built offline once, so the intermediates are sent on
/// every handshake and no chain is built per handshake). A rotation produces a new snapshot.
/// </summary>
/// <remarks>
/// The material is reference-counted. Whoever creates it holds the first reference; a reloading source holds it
/// while the material is its <c>Current</c> and releases it when a rotation retires it. Code that keeps the
/// material beyond one synchronous read (a TLS handshake, an HTTP handler) takes its own reference with
/// <see cref="TryAcquire"/> and gives it back with <see cref="Release"/>. When the last reference is released the
/// certificates and the private key are disposed, deterministically rather than by the finalizer.
/// </remarks>
public sealed class CertificateMaterial
{
    private ReferenceCount _references = new();

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

    /// <summary>
    /// Loads the material the options describe, once, with the checks every source applies: the key pairs with the leaf,
    /// the chain is in order, the leaf is within its validity period, a half-written PEM file is refused. The reloading
    /// sources (<see cref="Infrastructure.MtlsSourceFactory"/>) load the same way; use this for a custom <see cref="ICertificateSourceProvider"/>.
    /// </summary>
    /// <param name="options">Where the certificate comes from: files, a folder layout, a certificate store or inline PEM.</param>
    /// <param name="configurationPath">The configuration key of the options, for messages (e.g. <c>Mtls:Server:Certificate</c>).</param>
    /// <param name="timeProvider">The clock used to reject an expired or not yet valid leaf; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <returns>The immutable snapshot.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">The material is missing, unreadable, inconsistent or outside its validity period.</exception>
    public static CertificateMaterial Load(CertificateSourceOptions options, string? configurationPath = null, TimeProvider? timeProvider = null) =>
        CertificateMaterialLoader.Load(options, configurationPath, timeProvider);

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

    /// <summary>Gets a value indicating whether the last reference was released and the certificates disposed.</summary>
    /// <value><see langword="true"/> once disposed; a disposed material must not be handed to a handshake.</value>
    public bool IsDisposed => _references.IsZero;

    /// <summary>
    /// Takes a reference that keeps the certificate, its private key and <see cref="Context"/> usable until it is
    /// given back with <see cref="Release"/>. Fails only when the material was already retired and disposed: read
    /// the source's <c>Current</c> again, which the source keeps referenced until it replaces it.
    /// </summary>
    /// <returns><see langword="true"/> when a reference was taken.</returns>
    public bool TryAcquire() => _references.TryAcquire();

    /// <summary>Gives back a reference taken with <see cref="TryAcquire"/> (or the creator's); the last one disposes the certificates.</summary>
    /// <exception cref="InvalidOperationException">More references were released than taken.</exception>
    public void Release()
    {
        var left = _references.Release();
        if (left == 0)
        {
            DisposeCertificates();
        }
        else if (left < 0)
        {
            throw new InvalidOperationException($"The certificate material {this} was released more often than acquired.");
        }
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

    private void DisposeCertificates()
    {
        // The context holds the leaf itself and its own copies of the intermediates (taken from the chain it built).
        foreach (var intermediate in Context.IntermediateCertificates)
        {
            intermediate.Dispose();
        }

        foreach (var intermediate in Intermediates)
        {
            intermediate.Dispose();
        }

        Certificate.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Identity.DisplayName} (SHA-256 {ThumbprintSha256}, valid until {NotAfter:u})";
}
