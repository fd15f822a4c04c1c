using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mtls.Tool.Internal;

/// <summary>Reads certificates from the files users have: PEM (one or many), DER, PFX/PKCS#12, or a folder in a layout the library reads.</summary>
internal static class CertificateFiles
{
    private const long MaxFileSize = 1024 * 1024;

    /// <summary>The certificates in a file, in file order (for a PFX: the one with the key first).</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file is on the command line (<c>LEAF</c>, <c>--chain</c>), for messages.</param>
    /// <param name="password">The PFX password, if any.</param>
    /// <exception cref="UsageException">The file is missing, too large, or holds no certificate.</exception>
    public static List<X509Certificate2> Load(string path, string what, string? password = null)
    {
        var bytes = ReadAll(path, what);
        if (LooksLikePem(bytes))
        {
            var found = new X509Certificate2Collection();
            try
            {
                found.ImportFromPem(Encoding.UTF8.GetString(bytes));
            }
            catch (CryptographicException ex)
            {
                throw new UsageException($"{what} '{path}': a PEM CERTIFICATE block does not parse: {ex.Message}", ex);
            }

            if (found.Count == 0)
            {
                throw new UsageException($"{what} '{path}': the PEM file holds no CERTIFICATE block (a key file? give the certificate file).");
            }

            return [.. found];
        }

        var type = X509Certificate2.GetCertContentType(bytes);
        try
        {
            if (type == X509ContentType.Pkcs12)
            {
                var collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
                return [.. collection.OrderByDescending(c => c.HasPrivateKey)];
            }

            if (type == X509ContentType.Cert)
            {
                return [X509CertificateLoader.LoadCertificate(bytes)];
            }
        }
        catch (CryptographicException ex) when (type == X509ContentType.Pkcs12)
        {
            throw new UsageException($"{what} '{path}': the PFX cannot be opened ({(password is null ? "no --password given" : "wrong --password?")}): {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            throw new UsageException($"{what} '{path}': not a certificate: {ex.Message}", ex);
        }

        throw new UsageException($"{what} '{path}': neither PEM, DER nor PFX/PKCS#12.");
    }

    /// <summary>A folder in a layout the library reads: its certificate chain and the CA bundle next to it.</summary>
    /// <exception cref="UsageException">The folder holds none of the known layouts.</exception>
    public static (string Layout, List<X509Certificate2> Chain, List<X509Certificate2> Bundle) LoadFolder(string directory, string what)
    {
        string Path(string name) => System.IO.Path.Combine(directory, name);
        if (File.Exists(Path("tls.crt")))
        {
            return ("CertManager", Load(Path("tls.crt"), what), File.Exists(Path("ca.crt")) ? Load(Path("ca.crt"), what) : []);
        }

        if (File.Exists(Path("svid.pem")))
        {
            return ("SpiffeHelper", Load(Path("svid.pem"), what), File.Exists(Path("svid_bundle.pem")) ? Load(Path("svid_bundle.pem"), what) : []);
        }

        if (File.Exists(Path("credential-bundle.private-key.pem")))
        {
            var bundle = new List<X509Certificate2>();
            foreach (var file in Directory.GetFiles(directory, "*.spiffe-trust-bundle.pem").Order(StringComparer.Ordinal))
            {
                bundle.AddRange(Load(file, what));
            }

            return ("SpiffeFilesystem", Load(Path("credential-bundle.private-key.pem"), what), bundle);
        }

        throw new UsageException($"{what} '{directory}': a folder, but in no known layout (cert-manager tls.crt, spiffe-helper svid.pem, SPIFFE Filesystem Delivery credential-bundle.private-key.pem).");
    }

    private static byte[] ReadAll(string path, string what)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new UsageException($"{what} '{path}': no such file.");
        }

        if (file.Length > MaxFileSize)
        {
            throw new UsageException($"{what} '{path}': {file.Length} bytes, more than a certificate file holds (limit {MaxFileSize}).");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{what} '{path}': cannot be read: {ex.Message}", ex);
        }
    }

    private static bool LooksLikePem(byte[] bytes) =>
        Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024)).Contains("-----BEGIN ", StringComparison.Ordinal);
}
