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
