using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>A test end-entity certificate with its private key and its chain.</summary>
public sealed class TestCertificate : IDisposable
{
    internal TestCertificate(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> intermediates, X509Certificate2? root = null)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        Root = root;
    }

    /// <summary>Gets the leaf, with its private key.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the intermediates between the leaf and the root, leaf-most first.</summary>
    /// <value>Empty for a leaf issued by a root.</value>
    public IReadOnlyList<X509Certificate2> Intermediates { get; }

    /// <summary>Gets the root of the chain, or <see langword="null"/> for a self-signed leaf.</summary>
    /// <value>The root.</value>
    public X509Certificate2? Root { get; }

    /// <summary>Gets the SHA-256 thumbprint in uppercase hexadecimal.</summary>
    /// <value>64 hexadecimal characters.</value>
    public string ThumbprintSha256 => Convert.ToHexString(Certificate.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>Gets the intermediates as a collection, as a peer would send them.</summary>
    /// <returns>A new collection.</returns>
    public X509Certificate2Collection IntermediatesCollection() => new(Intermediates.ToArray());

    /// <summary>Gets the leaf without its private key, as a peer would see it.</summary>
    /// <returns>The public certificate.</returns>
    public X509Certificate2 PublicCopy() => X509CertificateLoader.LoadCertificate(Certificate.RawData);

    /// <summary>Creates certificate material (leaf, key, intermediates) from this certificate.</summary>
    /// <returns>The material.</returns>
    public CertificateMaterial ToMaterial() => CertificateMaterial.Create(Certificate, Intermediates, $"test certificate {Certificate.Subject}");

    /// <summary>Gets the leaf (and optionally its intermediates) as PEM.</summary>
    /// <param name="includeChain">Whether to append the intermediates.</param>
    /// <returns>The PEM text.</returns>
    public string ExportCertificatePem(bool includeChain = true)
    {
        var builder = new StringBuilder(Certificate.ExportCertificatePem()).Append('\n');
        if (includeChain)
        {
            foreach (var intermediate in Intermediates)
            {
                builder.Append(intermediate.ExportCertificatePem()).Append('\n');
            }
        }

        return builder.ToString();
    }

    /// <summary>Exports the private key as PEM.</summary>
    /// <param name="format">The PEM format.</param>
    /// <param name="password">The password, for <see cref="TestKeyFormat.EncryptedPkcs8"/>.</param>
    /// <returns>The PEM text.</returns>
    public string ExportKeyPem(TestKeyFormat format = TestKeyFormat.Pkcs8, string? password = null)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)Certificate.GetECDsaPrivateKey() ?? Certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("The certificate has no exportable private key.");
        return format switch
        {
            TestKeyFormat.Pkcs8 => key.ExportPkcs8PrivateKeyPem(),
            TestKeyFormat.Traditional => key switch
            {
                ECDsa ec => ec.ExportECPrivateKeyPem(),
                RSA rsa => rsa.ExportRSAPrivateKeyPem(),
                _ => throw new NotSupportedException(),
            },
            TestKeyFormat.EncryptedPkcs8 => key.ExportEncryptedPkcs8PrivateKeyPem(
                password ?? throw new ArgumentNullException(nameof(password)),
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        } + "\n";
    }

    /// <summary>Writes the certificate (with chain) and key as PEM files, each atomically.</summary>
    /// <param name="certificatePath">The certificate file.</param>
    /// <param name="keyPath">The key file.</param>
    /// <param name="format">The key format.</param>
    /// <param name="password">The key password, for encrypted PKCS#8.</param>
    public void WritePem(string certificatePath, string keyPath, TestKeyFormat format = TestKeyFormat.Pkcs8, string? password = null)
    {
        FileWriter.WriteAtomically(certificatePath, ExportCertificatePem());
        FileWriter.WriteAtomically(keyPath, ExportKeyPem(format, password));
    }

    /// <summary>Writes the certificate, key and chain to a PFX/PKCS#12 file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="password">The password, or <see langword="null"/>.</param>
    /// <returns>The path.</returns>
    public string WritePfx(string path, string? password)
    {
        var collection = new X509Certificate2Collection(Certificate);
        foreach (var intermediate in Intermediates)
        {
            collection.Add(intermediate);
        }

        FileWriter.WriteAtomically(path, collection.Export(X509ContentType.Pkcs12, password)!);
        return path;
    }

    /// <inheritdoc/>
    public void Dispose() => Certificate.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"{Certificate.Subject} (SHA-256 {ThumbprintSha256})";
}
