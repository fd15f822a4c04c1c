using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Spiffe.Testing;

/// <summary>
/// One SVID as the fake Workload API sends it: every field as raw bytes, so a test can also send a
/// malformed one (<c>svid with { Key = [] }</c>).
/// </summary>
public sealed record FakeSvid
{
    /// <summary>Gets the <c>spiffe_id</c> field.</summary>
    /// <value>For example <c>spiffe://example.org/orders</c>.</value>
    public required string SpiffeId { get; init; }

    /// <summary>Gets the <c>x509_svid</c> field: DER certificates, the leaf first.</summary>
    /// <value>Concatenated DER.</value>
    public required ReadOnlyMemory<byte> Chain { get; init; }

    /// <summary>Gets the <c>x509_svid_key</c> field: the PKCS#8 DER private key.</summary>
    /// <value>Unencrypted PKCS#8.</value>
    public required ReadOnlyMemory<byte> Key { get; init; }

    /// <summary>Gets the <c>bundle</c> field: DER CA certificates of the SVID's trust domain.</summary>
    /// <value>Concatenated DER.</value>
    public required ReadOnlyMemory<byte> Bundle { get; init; }

    /// <summary>Gets the <c>hint</c> field.</summary>
    /// <value>The default is empty.</value>
    public string Hint { get; init; } = string.Empty;

    /// <summary>Creates an SVID from a leaf with its private key, its intermediates and its trust domain's CAs.</summary>
    /// <param name="leaf">The leaf, with its private key and exactly one SPIFFE ID URI SAN.</param>
    /// <param name="intermediates">The intermediates, leaf-most first.</param>
    /// <param name="bundle">The CA certificates of the leaf's trust domain.</param>
    /// <param name="hint">The optional hint.</param>
    /// <returns>The SVID.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The leaf has no private key or no SPIFFE ID.</exception>
    public static FakeSvid Create(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, IEnumerable<X509Certificate2> bundle, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(bundle);
        var id = PeerIdentity.FromCertificate(leaf).SpiffeId ?? throw new ArgumentException($"The certificate {leaf.Subject} has no SPIFFE ID.", nameof(leaf));
        using var key = (AsymmetricAlgorithm?)leaf.GetECDsaPrivateKey() ?? leaf.GetRSAPrivateKey() ?? throw new ArgumentException($"The certificate {leaf.Subject} has no ECDSA or RSA private key.", nameof(leaf));
        return new FakeSvid
        {
            SpiffeId = id.ToString(),
            Chain = Der([leaf, .. intermediates]),
            Key = key.ExportPkcs8PrivateKey(),
            Bundle = Der(bundle),
            Hint = hint ?? string.Empty,
        };
    }

    /// <summary>Concatenates the DER encodings of certificates (the Workload API's encoding of chains and bundles).</summary>
    /// <param name="certificates">The certificates.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificates"/> is <see langword="null"/>.</exception>
    public static byte[] Der(IEnumerable<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        return certificates.SelectMany(c => c.RawData).ToArray();
    }
}
