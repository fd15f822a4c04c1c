using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Refuses a trust bundle that pins publicly trusted roots (the operating system's CA file, or anchors found in the
/// operating system's root store): pinned, they let any certificate a public CA issued authenticate as a peer, and with an
/// empty or DNS-name AllowedPeers that is anyone. <see cref="TrustedCaOptions.AcceptPeersIssuedByPublicCas"/> allows it.
/// The operating system's roots are read here only to refuse them; trust never comes from them.
/// </summary>
internal static class PublicRootCheck
{
    /// <summary>Where distributions keep the CA file (Debian/Ubuntu, RHEL/Fedora, Alpine/macOS, SUSE).</summary>
    private static readonly string[] OsCaFiles =
    [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/ssl/cert.pem",
        "/etc/ssl/ca-bundle.pem",
    ];

    private static readonly Lazy<HashSet<string>> PublicRoots = new(ReadPublicRoots);

    /// <summary>Returns <paramref name="bundle"/>, or throws when it pins public roots and the option does not allow it.</summary>
    public static TrustBundle Ensure(TrustBundle bundle, TrustedCaOptions options, string configurationPath, string source)
    {
        if (options.AcceptPeersIssuedByPublicCas)
        {
            return bundle;
        }

        var osFile = options.Path is { Length: > 0 } path && IsOsCaFile(path);
        var roots = PublicRoots.Value;
        var found = bundle.Anchors.Where(a => roots.Contains(Convert.ToHexString(a.GetCertHash(HashAlgorithmName.SHA256)))).ToArray();
        if (!osFile && found.Length == 0)
        {
            return bundle;
        }

        var count = found.Length > 0 ? found.Length : bundle.Anchors.Count;
        var example = (found.Length > 0 ? found[0] : bundle.Anchors[0]).Subject;
        throw new CertificateLoadException(
            source,
            $"the trust bundle holds {count} publicly trusted root CA(s){(osFile ? " (it is the operating system's CA file)" : " found in the operating system's root store")}, for example {PeerTextOf(example)}. " +
            "Pinned, they let any certificate a public CA issued authenticate as a peer (with an empty or DNS-name AllowedPeers: anyone who can buy one). " +
            $"Pin your own CA instead; if peers really are identified by certificates from public CAs, set {configurationPath}:{nameof(TrustedCaOptions.AcceptPeersIssuedByPublicCas)} to true.",
            CertificateLoadErrorKind.NotConfigured);
    }

    private static string PeerTextOf(string subject) => subject.Length > 120 ? subject[..120] + "…" : subject;

    private static bool IsOsCaFile(string path)
    {
        try
        {
            var full = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
            var sslCertFile = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
            return OsCaFiles.Append(sslCertFile).OfType<string>().Any(os =>
                string.Equals(full, new FileInfo(os).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(os), StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private static HashSet<string> ReadPublicRoots()
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            foreach (var certificate in store.Certificates)
            {
                hashes.Add(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)));
                certificate.Dispose();
            }
        }
        catch (CryptographicException)
        {
            // No readable root store: only the file check applies.
        }

        return hashes;
    }
}
