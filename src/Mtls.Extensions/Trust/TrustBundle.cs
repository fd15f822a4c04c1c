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
    private static readonly Dictionary<string, TrustBundle> NoTrustDomains = new(StringComparer.Ordinal);
    private readonly X509Certificate2[] _anchors;
    private readonly Dictionary<string, TrustBundle>? _trustDomains;
    private readonly TrustBundle? _plain;

    private TrustBundle(X509Certificate2[] anchors, string source, Dictionary<string, TrustBundle>? trustDomains = null, TrustBundle? plain = null)
    {
        _anchors = anchors;
        _trustDomains = trustDomains;
        _plain = plain;
        Source = source;
        var builder = new StringBuilder();
        foreach (var anchor in anchors)
        {
            builder.Append(Convert.ToHexString(anchor.GetCertHash(HashAlgorithmName.SHA256)));
        }

        if (trustDomains is not null)
        {
            // Which anchor belongs to which trust domain is part of the content: moving a CA between domains is a change.
            builder.Append("|plain:").Append(plain?.ContentHash);
            foreach (var (trustDomain, bundle) in trustDomains.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                builder.Append('|').Append(trustDomain).Append(':').Append(bundle.ContentHash);
            }
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

    /// <summary>
    /// Gets the bundle of each trust domain (federation), keyed by trust domain name (<c>example.org</c>).
    /// When not empty, a peer with a SPIFFE ID is validated only against its own trust domain's bundle
    /// (see <see cref="ForPeer"/>), and <see cref="Anchors"/> is the union, for the platform's chain policy only.
    /// </summary>
    /// <value>Empty for a plain bundle.</value>
    public IReadOnlyDictionary<string, TrustBundle> TrustDomains => _trustDomains ?? NoTrustDomains;

    internal X509Certificate2Collection Collection { get; }

    /// <summary>Gets the trust domain this bundle is the bundle of, inside a per-trust-domain bundle (<see cref="Federation"/>).</summary>
    internal string? TrustDomainName { get; private set; }

    /// <summary>Gets the per-trust-domain bundle this bundle is one domain of; <see langword="null"/> otherwise.</summary>
    internal TrustBundle? Federation { get; private set; }

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

    /// <summary>
    /// Creates a bundle with one set of anchors per trust domain (SPIFFE federation), optionally with plain
    /// anchors for peers without a SPIFFE ID. Bundles are never unified for judging a peer: a CA of one
    /// trust domain cannot vouch for an identity in another.
    /// </summary>
    /// <param name="trustDomains">The CA certificates of each trust domain, keyed by trust domain name (<c>example.org</c>) or its SPIFFE ID (<c>spiffe://example.org</c>).</param>
    /// <param name="source">A description of where they came from.</param>
    /// <param name="plainAnchors">The anchors for peers without a SPIFFE ID; none when <see langword="null"/> (such peers are refused).</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trustDomains"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">A key is not a trust domain, a set is empty, or a certificate is not a CA.</exception>
    public static TrustBundle CreateForTrustDomains(IReadOnlyDictionary<string, IEnumerable<X509Certificate2>> trustDomains, string? source = null, IEnumerable<X509Certificate2>? plainAnchors = null)
    {
        ArgumentNullException.ThrowIfNull(trustDomains);
        source ??= "inline trust bundles";
        var domains = new Dictionary<string, TrustBundle>(StringComparer.Ordinal);
        foreach (var (key, certificates) in trustDomains)
        {
            var name = key.StartsWith(SpiffeId.SchemePrefix, StringComparison.Ordinal) ? key : SpiffeId.SchemePrefix + key;
            if (!SpiffeId.TryParse(name, out var id, out var error) || id.Path.Length != 0)
            {
                throw new CertificateLoadException(source, $"'{key}' is not a trust domain name{(error is null ? " (it has a path)" : ": " + error)}.", CertificateLoadErrorKind.NotConfigured);
            }

            domains[id.TrustDomain] = Create(certificates, $"{source} [{id.TrustDomain}]");
        }

        if (domains.Count == 0)
        {
            throw new CertificateLoadException(source, "no trust domain bundle is configured.", CertificateLoadErrorKind.NotConfigured);
        }

        var plain = plainAnchors is null ? null : Create(plainAnchors, $"{source} [peers without a SPIFFE ID]");
        var union = new List<X509Certificate2>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var anchor in (plain?.Anchors ?? []).Concat(domains.Values.SelectMany(d => d.Anchors)))
        {
            if (seen.Add(Convert.ToHexString(anchor.GetCertHash(HashAlgorithmName.SHA256))))
            {
                union.Add(anchor);
            }
        }

        var federation = new TrustBundle([.. union], source, domains, plain);
        foreach (var (trustDomain, bundle) in domains)
        {
            // Set before anyone sees the bundles: for rejection sentences that name the domain that did sign a refused peer.
            bundle.TrustDomainName = trustDomain;
            bundle.Federation = federation;
        }

        return federation;
    }

    /// <summary>
    /// Gets the anchors that may vouch for a peer: for a bundle with <see cref="TrustDomains"/>, the bundle of
    /// the peer's trust domain (a peer with a SPIFFE ID), or the plain anchors (a peer without one); a bundle
    /// without anchors when none applies, which refuses the peer. A plain bundle returns itself.
    /// </summary>
    /// <param name="leaf">The peer's leaf certificate.</param>
    /// <returns>The bundle to validate the peer against.</returns>
    public TrustBundle ForPeer(X509Certificate2? leaf)
    {
        if (_trustDomains is null || leaf is null)
        {
            return this;
        }

        SubjectAlternativeNames sans;
        try
        {
            sans = SubjectAlternativeNames.Read(leaf);
        }
        catch (CryptographicException)
        {
            return Empty("the peer's subject alternative names cannot be read");
        }

        var spiffeUris = sans.Uris.Where(u => u.StartsWith(SpiffeId.SchemePrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (spiffeUris.Count == 0)
        {
            return _plain ?? Empty("no CA is pinned for peers without a SPIFFE ID");
        }

        if (spiffeUris.Count != 1 || sans.Uris.Count != 1 || !SpiffeId.TryParse(spiffeUris[0], out var id))
        {
            // Never guess which of several (or a malformed) SPIFFE IDs picks the bundle.
            return Empty("the peer's SPIFFE ID is not exactly one valid URI SAN");
        }

        return _trustDomains.TryGetValue(id.TrustDomain, out var bundle) ? bundle : Empty($"no bundle for the trust domain {id.TrustDomain}");
    }

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
            var source = $"{configurationPath}:Path ('{options.Path}')";
            return PublicRootCheck.Ensure(LoadFile(options.Path, source, options.MaxFileSize), options, configurationPath, source);
        }

        if (!string.IsNullOrWhiteSpace(options.Pem))
        {
            return PublicRootCheck.Ensure(FromPem(options.Pem, $"{configurationPath}:Pem"), options, configurationPath, $"{configurationPath}:Pem");
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
    public string Describe() => _anchors.Length == 0 ? $"none ({Source})" : string.Join("; ", _anchors.Select(a => $"{a.Subject} (SHA-256 {Convert.ToHexString(a.GetCertHash(HashAlgorithmName.SHA256))[..16]}…)"));

    private TrustBundle Empty(string why) => new([], $"{why}; {Source}");

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
