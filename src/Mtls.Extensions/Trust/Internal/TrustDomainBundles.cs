using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Per-trust-domain bundles from configuration (<c>TrustedCa:Bundles:{trustDomain}</c>) and from a folder of
/// <c>&lt;trust-domain&gt;.spiffe-trust-bundle.pem</c> files (SPIFFE Filesystem Delivery), and the start-up
/// check that every trust domain named by AllowedPeers/ExpectedServer has a bundle.
/// </summary>
internal static class TrustDomainBundles
{
    public const string FileSuffix = ".spiffe-trust-bundle.pem";

    public static TrustBundle Load(TrustedCaOptions options, string configurationPath) =>
        Load(options.Bundles, options.BundlesDirectory, options, configurationPath);

    public static TrustBundle LoadDirectory(string directory, string source) =>
        Load(new Dictionary<string, TrustDomainBundleOptions>(), directory, null, source);

    public static IEnumerable<string> Files(TrustedCaOptions options)
    {
        foreach (var bundle in options.Bundles.Values)
        {
            if (!string.IsNullOrWhiteSpace(bundle.Path))
            {
                yield return System.IO.Path.GetFullPath(bundle.Path);
            }
        }

        if (!string.IsNullOrWhiteSpace(options.BundlesDirectory))
        {
            foreach (var file in DirectoryFiles(options.BundlesDirectory))
            {
                yield return file;
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            yield return System.IO.Path.GetFullPath(options.Path);
        }
    }

    /// <summary>The bundle files of a folder, plus a name in it so that the folder is watched even when it holds none yet.</summary>
    public static IEnumerable<string> DirectoryFiles(string directory)
    {
        var full = System.IO.Path.GetFullPath(directory);
        yield return System.IO.Path.Combine(full, "*" + FileSuffix);
        if (Directory.Exists(full))
        {
            foreach (var file in Directory.EnumerateFiles(full, "*" + FileSuffix).Order(StringComparer.Ordinal))
            {
                yield return file;
            }
        }
    }

    /// <summary>Refuses AllowedPeers/ExpectedServer entries that name a trust domain the per-domain bundle has no bundle for.</summary>
    public static void EnsureCovered(TrustBundle trust, IEnumerable<PeerIdentityPattern> patterns, string configurationKey)
    {
        if (trust.TrustDomains.Count == 0)
        {
            return;
        }

        foreach (var pattern in patterns)
        {
            var trustDomain = pattern.Kind switch
            {
                PeerIdentityPatternKind.TrustDomain => pattern.Value,
                PeerIdentityPatternKind.SpiffeId or PeerIdentityPatternKind.SpiffeIdPathPrefix => SpiffeId.Parse(pattern.Value).TrustDomain,
                _ => null,
            };
            if (trustDomain is not null && !trust.TrustDomains.ContainsKey(trustDomain))
            {
                throw new CertificateLoadException(configurationKey,
                    $"'{pattern}' names the trust domain {trustDomain}, which has no trust bundle (bundles: {string.Join(", ", trust.TrustDomains.Keys.Order(StringComparer.Ordinal))}); no peer of it could ever be accepted.",
                    CertificateLoadErrorKind.NotConfigured);
            }
        }
    }

    /// <summary>
    /// Splits a combined bundle (one file with the anchors of several trust domains: spiffe-helper's <c>svid_bundle.pem</c>
    /// with federated domains, cert-manager's <c>ca.crt</c>, a <c>TrustedCa:Path</c>) into one bundle per trust domain, so that
    /// a federated root never vouches for the local domain and the reverse. Each anchor belongs to the trust domain its own
    /// <c>spiffe://&lt;trust domain&gt;</c> URI SAN names (SPIRE and csi-driver-spiffe put one in their CAs); an anchor without
    /// one belongs to the local trust domain. Peers without a SPIFFE ID are judged against the local domain's anchors.
    /// </summary>
    /// <param name="combined">The bundle as read.</param>
    /// <param name="configuredTrustDomain">The local trust domain as configured (<c>TrustedCa:TrustDomain</c>), if any.</param>
    /// <param name="ownTrustDomain">The trust domain of the workload's own SVID, if it has a SPIFFE ID.</param>
    /// <param name="splitUnlabelled">
    /// Whether a bundle whose anchors carry no trust domain is still given to the local trust domain when only the own SVID
    /// names it (a layout folder, whose CA file comes with the SVID); a configured trust domain always splits.
    /// </param>
    /// <param name="trustKey">The configuration key of the trust options, for error messages (<c>Mtls:Server:TrustedCa</c>).</param>
    /// <returns>The per-trust-domain bundle, or <paramref name="combined"/> when nothing says which domain its anchors belong to.</returns>
    /// <exception cref="CertificateLoadException">An anchor's trust domain cannot be told: refused rather than pooled.</exception>
    public static TrustBundle Split(TrustBundle combined, string? configuredTrustDomain, string? ownTrustDomain, bool splitUnlabelled, string trustKey)
    {
        string? local = null;
        if (!string.IsNullOrWhiteSpace(configuredTrustDomain))
        {
            var name = configuredTrustDomain.StartsWith(SpiffeId.SchemePrefix, StringComparison.Ordinal) ? configuredTrustDomain : SpiffeId.SchemePrefix + configuredTrustDomain;
            if (!SpiffeId.TryParse(name, out var id, out var error) || id.Path.Length != 0)
            {
                throw new CertificateLoadException($"{trustKey}:TrustDomain", $"'{configuredTrustDomain}' is not a trust domain name{(error is null ? " (it has a path)" : ": " + error)}; write it as example.org.", CertificateLoadErrorKind.NotConfigured);
            }

            local = id.TrustDomain;
        }

        local ??= ownTrustDomain;
        var labels = combined.Anchors.Select(a => AnchorTrustDomain(a, combined.Source)).ToArray();
        if (labels.All(l => l is null) && (local is null || (!splitUnlabelled && string.IsNullOrWhiteSpace(configuredTrustDomain))))
        {
            return combined;
        }

        var domains = new Dictionary<string, List<X509Certificate2>>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Length; i++)
        {
            var anchor = combined.Anchors[i];
            var trustDomain = labels[i] ?? local ?? throw new CertificateLoadException(combined.Source,
                $"anchor #{i + 1} ({anchor.Subject}) has no spiffe:// URI SAN, the bundle's other anchors name their trust domains ({string.Join(", ", labels.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))}), and the local trust domain is unknown (the workload's own certificate has no SPIFFE ID): its trust domain cannot be told, so the bundle is refused rather than pooled. Set {trustKey}:TrustDomain to the local trust domain, or give each trust domain its own file under {trustKey}:Bundles.",
                CertificateLoadErrorKind.NotConfigured);
            if (!domains.TryGetValue(trustDomain, out var list))
            {
                domains[trustDomain] = list = [];
            }

            list.Add(anchor);
        }

        IEnumerable<X509Certificate2>? plain = local is not null && domains.TryGetValue(local, out var own) ? own
            : domains.Count == 1 ? domains.Values.First() : null;
        return TrustBundle.CreateForTrustDomains(domains.ToDictionary(d => d.Key, d => (IEnumerable<X509Certificate2>)d.Value, StringComparer.Ordinal), combined.Source, plain);
    }

    /// <summary>The trust domain of a certificate's SPIFFE ID (its one URI SAN), or <see langword="null"/> when it has none.</summary>
    public static string? TrustDomainOf(X509Certificate2 certificate)
    {
        try
        {
            var uris = SubjectAlternativeNames.Read(certificate).Uris;
            return uris.Count == 1 && SpiffeId.TryParse(uris[0], out var id) ? id.TrustDomain : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The trust domain an anchor names in a <c>spiffe://</c> URI SAN; <see langword="null"/> when it names none.</summary>
    private static string? AnchorTrustDomain(X509Certificate2 anchor, string source)
    {
        IReadOnlyList<string> uris;
        try
        {
            uris = SubjectAlternativeNames.Read(anchor).Uris;
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source, $"the subject alternative names of the anchor {anchor.Subject} cannot be read, so its trust domain cannot be told: {ex.Message}", CertificateLoadErrorKind.NotACertificate, ex);
        }

        string? found = null;
        foreach (var uri in uris.Where(u => u.StartsWith(SpiffeId.SchemePrefix, StringComparison.OrdinalIgnoreCase)))
        {
            if (!SpiffeId.TryParse(uri, out var id, out var error) || id.Path.Length != 0)
            {
                // X509-SVID §5.1: a signing certificate's SPIFFE ID is its trust domain's, with no path.
                throw new CertificateLoadException(source,
                    $"the anchor {anchor.Subject} has the URI SAN '{PeerText.Escape(uri)}', which is not a trust domain's SPIFFE ID ({error ?? "a signing certificate's SPIFFE ID has no path"}), so its trust domain cannot be told; the bundle is refused rather than pooled.",
                    CertificateLoadErrorKind.NotACa);
            }

            if (found is not null && found != id.TrustDomain)
            {
                throw new CertificateLoadException(source,
                    $"the anchor {anchor.Subject} names two trust domains ({found}, {id.TrustDomain}), so its trust domain cannot be told; the bundle is refused rather than pooled.",
                    CertificateLoadErrorKind.NotACa);
            }

            found = id.TrustDomain;
        }

        return found;
    }

    private static TrustBundle Load(IDictionary<string, TrustDomainBundleOptions> bundles, string? directory, TrustedCaOptions? plain, string configurationPath)
    {
        var domains = new Dictionary<string, IEnumerable<X509Certificate2>>(StringComparer.Ordinal);
        foreach (var (trustDomain, bundle) in bundles)
        {
            var key = $"{configurationPath}:Bundles:{trustDomain}";
            if (!string.IsNullOrWhiteSpace(bundle.Path))
            {
                domains[trustDomain] = TrustBundle.LoadFile(bundle.Path, $"{key}:Path ('{bundle.Path}')").Anchors;
            }
            else if (!string.IsNullOrWhiteSpace(bundle.Pem))
            {
                domains[trustDomain] = TrustBundle.FromPem(bundle.Pem, $"{key}:Pem").Anchors;
            }
            else
            {
                throw new CertificateLoadException(key, "set Path or Pem.", CertificateLoadErrorKind.NotConfigured);
            }
        }

        if (!string.IsNullOrWhiteSpace(directory))
        {
            var found = 0;
            foreach (var file in DirectoryFiles(directory).Skip(1))
            {
                var trustDomain = System.IO.Path.GetFileName(file)[..^FileSuffix.Length];
                found++;
                domains.TryAdd(trustDomain, TrustBundle.LoadFile(file, $"{configurationPath} ('{file}')").Anchors);
            }

            if (found == 0 && domains.Count == 0)
            {
                throw new CertificateLoadException(configurationPath, $"the folder '{directory}' holds no <trust-domain>{FileSuffix} file.", CertificateLoadErrorKind.FileNotFound);
            }
        }

        X509Certificate2[]? plainAnchors = null;
        if (plain is not null && (!string.IsNullOrWhiteSpace(plain.Path) || !string.IsNullOrWhiteSpace(plain.Pem)))
        {
            plainAnchors = [.. (string.IsNullOrWhiteSpace(plain.Path)
                ? TrustBundle.FromPem(plain.Pem!, $"{configurationPath}:Pem")
                : TrustBundle.LoadFile(plain.Path, $"{configurationPath}:Path ('{plain.Path}')")).Anchors];
        }

        return TrustBundle.CreateForTrustDomains(domains, configurationPath, plainAnchors);
    }
}
