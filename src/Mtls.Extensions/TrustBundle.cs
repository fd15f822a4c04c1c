using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions;

/// <summary>
/// An immutable set of pinned CA certificates: the only trust anchors. Roots and intermediates are both
/// valid anchors (a chain ends at the first pinned certificate). Anchors are compared by their bytes,
/// never by name.
/// </summary>
public sealed class TrustBundle
{
    private readonly X509Certificate2[] _anchors;

    private TrustBundle(X509Certificate2[] anchors, string source)
    {
        _anchors = anchors;
        Source = source;
        var builder = new StringBuilder();
        foreach (var anchor in anchors)
        {
            builder.Append(Convert.ToHexString(anchor.GetCertHash(HashAlgorithmName.SHA256)));
        }

        ContentHash = Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(builder.ToString())));
        Collection = new X509Certificate2Collection(anchors);
    }

    /// <summary>Gets the pinned CA certificates.</summary>
    /// <value>At least one.</value>
    public IReadOnlyList<X509Certificate2> Anchors => _anchors;

    /// <summary>Gets a description of where the bundle came from.</summary>
    /// <value>A path or configuration key.</value>
    public string Source { get; }

    /// <summary>Gets a hash over the anchors' SHA-256 thumbprints; equal hashes mean equal bundles.</summary>
    /// <value>64 hexadecimal characters.</value>
    public string ContentHash { get; }

    internal X509Certificate2Collection Collection { get; }

    /// <summary>Creates a bundle from CA certificates. Duplicates are removed.</summary>
    /// <param name="certificates">The CA certificates.</param>
    /// <param name="source">A description of where they came from.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificates"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">The list is empty, or a certificate is not a CA.</exception>
    public static TrustBundle Create(IEnumerable<X509Certificate2> certificates, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        source ??= "inline trust bundle";
        var unique = new List<X509Certificate2>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var certificate in certificates)
        {
            index++;
            if (!IsCa(certificate))
            {
                throw new CertificateLoadException(source,
                    $"certificate #{index} ({certificate.Subject}, SHA-256 {Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256))}) is not a CA certificate (no basic constraints with CA=true); only CA certificates can be pinned.",
                    CertificateLoadErrorKind.NotACa);
            }

            if (seen.Add(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256))))
            {
                unique.Add(certificate);
            }
        }

        if (unique.Count == 0)
        {
            throw new CertificateLoadException(source, "the trust bundle holds no certificate.", CertificateLoadErrorKind.NotACertificate);
        }

        return new TrustBundle([.. unique], source);
    }

    /// <summary>Creates a bundle from PEM text holding one or more CA certificates.</summary>
    /// <param name="pem">The PEM text.</param>
    /// <param name="source">A description of where it came from.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pem"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">The text holds no certificate, a malformed one, or a non-CA.</exception>
    public static TrustBundle FromPem(string pem, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        source ??= "inline trust bundle";
        return Create(PemReader.ReadCertificates(pem, source), source);
    }

    /// <summary>Loads the bundle the options describe.</summary>
    /// <param name="options">The options.</param>
    /// <param name="configurationPath">The configuration key of the options, for error messages (e.g. <c>Mtls:Server:TrustedCa</c>).</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">Nothing is configured, or the bundle cannot be loaded.</exception>
    public static TrustBundle Load(TrustedCaOptions options, string? configurationPath = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        configurationPath ??= "TrustedCa";
        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            return LoadFile(options.Path, $"{configurationPath}:Path ('{options.Path}')", options.MaxFileSize);
        }

        if (!string.IsNullOrWhiteSpace(options.Pem))
        {
            return FromPem(options.Pem, $"{configurationPath}:Pem");
        }

        throw new CertificateLoadException(configurationPath, "no trusted CA is configured: set Path or Pem. Trust never falls back to the operating system's store.", CertificateLoadErrorKind.NotConfigured);
    }

    /// <summary>
    /// Loads a PEM bundle or a DER certificate from a file, with one read. A PEM file that ends in an incomplete block
    /// is refused: a bundle caught halfway through an in-place rewrite would otherwise lose the CAs after the cut.
    /// This is the one way trust bundle files are read, by the reloading sources too.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="source">A description for error messages; defaults to the path.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="CertificateLoadException">The file cannot be read, is cut off, is too large, or holds no CA certificate.</exception>
    public static TrustBundle LoadFile(string path, string? source = null) => LoadFile(path, source, FileReader.DefaultMaxFileSize);

    internal static TrustBundle LoadFile(string path, string? source, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        source ??= path;
        var bytes = FileReader.ReadAllBytes(path, source, maxBytes);
        if (PemReader.LooksLikePem(bytes))
        {
            var pem = Encoding.ASCII.GetString(bytes);
            CertificateMaterialLoader.EnsureNoTruncatedPemBlock(pem, source, CertificateLoadErrorKind.NotACertificate);
            return FromPem(pem, source);
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source, "the file is neither PEM nor a DER certificate.", CertificateLoadErrorKind.NotACertificate, ex);
        }

        return Create([certificate], source);
    }

    /// <summary>Determines whether a certificate is one of the pinned anchors (by its bytes).</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns><see langword="true"/> when pinned.</returns>
    public bool Contains(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var raw = certificate.RawDataMemory.Span;
        foreach (var anchor in _anchors)
        {
            if (anchor.RawDataMemory.Span.SequenceEqual(raw))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gets a short description of the anchors for diagnostics: subject and SHA-256 thumbprint of each.</summary>
    /// <returns>For example <c>CN=Fleet Root (SHA-256 CD34…)</c>.</returns>
    public string Describe() => string.Join("; ", _anchors.Select(a => $"{a.Subject} (SHA-256 {Convert.ToHexString(a.GetCertHash(HashAlgorithmName.SHA256))[..16]}…)"));

    internal static bool IsCa(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509BasicConstraintsExtension basic)
            {
                return basic.CertificateAuthority;
            }
        }

        return false;
    }
}
