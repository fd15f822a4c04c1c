using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions;

/// <summary>
/// Loads our own certificate material (leaf, private key, intermediates) from PEM, PFX/PKCS#12, a
/// certificate store, inline configuration or a folder in a known layout. Every failure is a
/// <see cref="CertificateLoadException"/> naming the file or key and the problem. The public entry is
/// <see cref="CertificateMaterial.Load"/>.
/// </summary>
internal static class CertificateMaterialLoader
{
    /// <summary>Loads the material the options describe.</summary>
    /// <param name="options">Where the certificate comes from.</param>
    /// <param name="configurationPath">The configuration key of the options, for messages (e.g. <c>Mtls:Server:Certificate</c>).</param>
    /// <param name="timeProvider">The clock used to reject an expired or not yet valid leaf; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <returns>The immutable snapshot.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">The material is missing, unreadable, inconsistent or outside its validity period.</exception>
    public static CertificateMaterial Load(CertificateSourceOptions options, string? configurationPath = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        configurationPath ??= "Certificate";
        timeProvider ??= TimeProvider.System;

        var material = LoadUnchecked(options, configurationPath);
        try
        {
            CheckValidity(material, timeProvider);
            if (options.Layout is CertificateDirectoryLayout.SpiffeHelper or CertificateDirectoryLayout.SpiffeFilesystem && !string.IsNullOrWhiteSpace(options.ResolvedDirectory))
            {
                // These layouts declare SPIFFE material: the SVID is judged as one before it is served (X509-SVID §4, §5).
                Validation.Internal.X509SvidRules.EnsureOwn(material, $"{configurationPath}:Directory ('{options.ResolvedDirectory}')");
            }
        }
        catch
        {
            material.Release();
            throw;
        }

        return material;
    }

    /// <summary>Gets the files a source reads, so that they (and their folders) can be watched.</summary>
    /// <param name="options">The options.</param>
    /// <returns>Absolute paths; empty for inline and store sources.</returns>
    public static IReadOnlyList<string> GetFiles(CertificateSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.ResolvedDirectory))
        {
            var (cert, key, _) = LayoutFiles(options);
            return [System.IO.Path.GetFullPath(cert), System.IO.Path.GetFullPath(key)];
        }

        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            return string.IsNullOrWhiteSpace(options.KeyPath)
                ? [System.IO.Path.GetFullPath(options.Path)]
                : [System.IO.Path.GetFullPath(options.Path), System.IO.Path.GetFullPath(options.KeyPath)];
        }

        return [];
    }

    /// <summary>Gets the CA bundle file of a folder layout (<c>ca.crt</c> or <c>svid_bundle.pem</c>).</summary>
    /// <param name="options">The options.</param>
    /// <returns>The bundle path, or <see langword="null"/> when no folder is configured.</returns>
    public static string? GetLayoutTrustBundlePath(CertificateSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.ResolvedDirectory) || options.Layout == CertificateDirectoryLayout.SpiffeFilesystem ? null : LayoutFiles(options).Bundle;
    }

    /// <summary>
    /// Throws when PEM text has a block that was started but not finished after its last complete block: the
    /// file was read in the middle of a non-atomic write (or cut off). Parsing would otherwise silently drop the
    /// cut-off block and serve, for example, a leaf without its intermediate. A cut exactly between two blocks
    /// cannot be told from a shorter file.
    /// </summary>
    internal static void EnsureNoTruncatedPemBlock(string pem, string source, CertificateLoadErrorKind kind)
    {
        var text = pem.AsSpan();
        var end = 0;
        while (PemEncoding.TryFind(text[end..], out var fields))
        {
            end += fields.Location.End.Value;
        }

        if (text[end..].Contains("-----", StringComparison.Ordinal))
        {
            throw new CertificateLoadException(source, PemReader.DescribeUndecodableBlock(text[end..]), kind);
        }
    }

    /// <summary>The one file of the SPIFFE Filesystem Delivery credential folder that holds the key and the chain.</summary>
    internal const string SpiffeCredentialBundle = "credential-bundle.private-key.pem";

    internal static (string Certificate, string Key, string Bundle) LayoutFiles(CertificateSourceOptions options)
    {
        var dir = options.ResolvedDirectory!;
        return options.Layout switch
        {
            CertificateDirectoryLayout.CertManager => (System.IO.Path.Combine(dir, "tls.crt"), System.IO.Path.Combine(dir, "tls.key"), System.IO.Path.Combine(dir, "ca.crt")),
            CertificateDirectoryLayout.SpiffeHelper => (System.IO.Path.Combine(dir, "svid.pem"), System.IO.Path.Combine(dir, "svid_key.pem"), System.IO.Path.Combine(dir, "svid_bundle.pem")),
            // SPIFFE Filesystem Delivery: key and chain in one file (read in one go); one bundle file per trust domain.
            CertificateDirectoryLayout.SpiffeFilesystem => (System.IO.Path.Combine(dir, SpiffeCredentialBundle), System.IO.Path.Combine(dir, SpiffeCredentialBundle), dir),
            _ => throw new CertificateLoadException("Layout", $"unknown layout '{options.Layout}'.", CertificateLoadErrorKind.NotConfigured),
        };
    }

    private static CertificateMaterial LoadUnchecked(CertificateSourceOptions options, string configurationPath)
    {
        var configured = new List<string>(4);
        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            configured.Add("Path");
        }

        if (!string.IsNullOrWhiteSpace(options.Pem))
        {
            configured.Add("Pem");
        }

        if (!string.IsNullOrWhiteSpace(options.ResolvedDirectory))
        {
            configured.Add("Directory");
        }

        if (!string.IsNullOrWhiteSpace(options.Store.Thumbprint))
        {
            configured.Add("Store:Thumbprint");
        }

        if (configured.Count == 0)
        {
            throw new CertificateLoadException(configurationPath, "no certificate is configured: set Path (with KeyPath when the file holds no key), Pem, Directory (with Layout) or Store:Thumbprint.", CertificateLoadErrorKind.NotConfigured);
        }

        if (configured.Count > 1)
        {
            throw new CertificateLoadException(configurationPath, $"more than one certificate source is configured ({string.Join(", ", configured)}); set exactly one.", CertificateLoadErrorKind.NotConfigured);
        }

        if (!string.IsNullOrWhiteSpace(options.ResolvedDirectory))
        {
            var (cert, key, _) = LayoutFiles(options);
            var dirKey = $"{configurationPath}:Directory ('{options.ResolvedDirectory}', layout {options.Layout})";
            return LoadFromFiles(cert, key == cert ? null : key, options.Password, $"{dirKey} {System.IO.Path.GetFileName(cert)}", $"{dirKey} {System.IO.Path.GetFileName(key)}", options.MaxFileSize);
        }

        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            var keySource = string.IsNullOrWhiteSpace(options.KeyPath) ? null : $"{configurationPath}:KeyPath ('{options.KeyPath}')";
            // An empty KeyPath (set from code, or an empty environment variable) means "not set", never a file named "".
            return LoadFromFiles(options.Path, keySource is null ? null : options.KeyPath, options.Password, $"{configurationPath}:Path ('{options.Path}')", keySource, options.MaxFileSize);
        }

        if (!string.IsNullOrWhiteSpace(options.Pem))
        {
            return LoadFromPem(options.Pem, string.IsNullOrWhiteSpace(options.KeyPem) ? null : options.KeyPem, options.Password, $"{configurationPath}:Pem", $"{configurationPath}:KeyPem");
        }

        return LoadFromStore(options.Store, $"{configurationPath}:Store");
    }

    private static CertificateMaterial LoadFromFiles(string path, string? keyPath, string? password, string source, string? keySource, long maxBytes)
    {
        var bytes = FileReader.ReadAllBytes(path, source, maxBytes);
        if (bytes.Length == 0)
        {
            throw new CertificateLoadException(source, "the file is empty.", CertificateLoadErrorKind.NotACertificate);
        }

        string? keyPem = null;
        if (keyPath is not null)
        {
            var keyBytes = FileReader.ReadAllBytes(keyPath, keySource!, maxBytes);
            if (!PemReader.LooksLikePem(keyBytes))
            {
                throw new CertificateLoadException(keySource!, "the key file is not PEM (expected a 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY' block).", CertificateLoadErrorKind.InvalidKey);
            }

            keyPem = Encoding.ASCII.GetString(keyBytes);
            EnsureNoTruncatedPemBlock(keyPem, keySource!, CertificateLoadErrorKind.InvalidKey);
        }

        if (PemReader.LooksLikePem(bytes))
        {
            var pem = Encoding.ASCII.GetString(bytes);
            EnsureNoTruncatedPemBlock(pem, source, CertificateLoadErrorKind.NotACertificate);
            return LoadFromPem(pem, keyPem, password, source, keySource ?? source);
        }

        return X509Certificate2.GetCertContentType(bytes) switch
        {
            X509ContentType.Pkcs12 => LoadPkcs12(bytes, password, source),
            X509ContentType.Cert when keyPem is not null => Combine(LoadDer(bytes, source), [], keyPem, password, source, keySource!),
            X509ContentType.Cert => throw new CertificateLoadException(source, "the file holds a DER certificate without its private key; set KeyPath.", CertificateLoadErrorKind.NoPrivateKey),
            _ => throw new CertificateLoadException(source, "the file is neither PEM nor PFX/PKCS#12 nor a DER certificate.", CertificateLoadErrorKind.NotACertificate),
        };
    }

    private static X509Certificate2 LoadDer(byte[] bytes, string source)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source, "the file is not a valid X.509 certificate.", CertificateLoadErrorKind.NotACertificate, ex);
        }
    }

    private static CertificateMaterial LoadFromPem(string pem, string? separateKeyPem, string? password, string source, string keySource)
    {
        var (certificates, inlineKey) = PemReader.Read(pem, source, allowKey: true);
        if (certificates.Count == 0)
        {
            throw new CertificateLoadException(source, inlineKey is null ? "no PEM 'CERTIFICATE' block was found." : "the file holds a private key but no 'CERTIFICATE' block.", CertificateLoadErrorKind.NotACertificate);
        }

        PemKey? key = inlineKey;
        var actualKeySource = source;
        if (separateKeyPem is not null)
        {
            if (inlineKey is not null)
            {
                throw new CertificateLoadException(source, "the certificate file already holds a private key and a separate key is configured as well; configure one.", CertificateLoadErrorKind.InvalidKey);
            }

            var (_, separate) = PemReader.Read(separateKeyPem, keySource, allowKey: true);
            key = separate ?? throw new CertificateLoadException(keySource, "no PEM private key block was found (expected 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY').", CertificateLoadErrorKind.InvalidKey);
            actualKeySource = keySource;
        }

        if (key is null)
        {
            throw new CertificateLoadException(source, "no private key was found: the PEM holds only certificates; set KeyPath (or KeyPem).", CertificateLoadErrorKind.NoPrivateKey);
        }

        return Combine(certificates[0], certificates.Skip(1).ToList(), key.Pem, password, source, actualKeySource);
    }

    private static CertificateMaterial Combine(X509Certificate2 leaf, List<X509Certificate2> chain, string keyPem, string? password, string source, string keySource)
    {
        var (_, key) = PemReader.Read(keyPem, keySource, allowKey: true);
        if (key is null)
        {
            throw new CertificateLoadException(keySource, "no PEM private key block was found.", CertificateLoadErrorKind.InvalidKey);
        }

        if (key.IsEncrypted && string.IsNullOrEmpty(password))
        {
            throw new CertificateLoadException(keySource, "the private key is encrypted and no Password is configured.", CertificateLoadErrorKind.WrongPassword);
        }

        X509Certificate2 withKey;
        var algorithm = leaf.GetKeyAlgorithm();
        try
        {
            withKey = algorithm switch
            {
                Oids.EcPublicKey => WithKey(leaf, ECDsa.Create(), key, password),
                Oids.Rsa or Oids.RsaPss => WithKey(leaf, RSA.Create(), key, password),
                _ => throw new CertificateLoadException(source, $"the certificate's key algorithm {algorithm} is not supported (use RSA or ECDSA).", CertificateLoadErrorKind.InvalidKey),
            };
        }
        catch (CryptographicException ex) when (key.IsEncrypted)
        {
            throw new CertificateLoadException(keySource, "the encrypted private key cannot be decrypted: the password is wrong or the key is corrupt.", CertificateLoadErrorKind.WrongPassword, ex);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(keySource, "the private key cannot be read, or is not a key of the certificate's type.", CertificateLoadErrorKind.InvalidKey, ex);
        }
        catch (ArgumentException ex)
        {
            throw new CertificateLoadException(keySource, $"the private key does not match the certificate {leaf.Subject} (SHA-256 {Sha256(leaf)}).", CertificateLoadErrorKind.KeyMismatch, ex);
        }

        CheckChain(withKey, chain, source);
        return CertificateMaterial.Create(PlatformKey(withKey), chain, source);
    }

    private static X509Certificate2 WithKey<TKey>(X509Certificate2 leaf, TKey algorithm, PemKey key, string? password)
        where TKey : AsymmetricAlgorithm
    {
        using (algorithm)
        {
            if (key.IsEncrypted)
            {
                algorithm.ImportFromEncryptedPem(key.Pem, password);
            }
            else
            {
                algorithm.ImportFromPem(key.Pem);
            }

            return algorithm switch
            {
                ECDsa ec => leaf.CopyWithPrivateKey(ec),
                RSA rsa => leaf.CopyWithPrivateKey(rsa),
                _ => throw new NotSupportedException(),
            };
        }
    }

    private static CertificateMaterial LoadPkcs12(byte[] bytes, string? password, string source)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.DefaultKeySet);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source,
                string.IsNullOrEmpty(password) ? "the PFX cannot be opened without a password, or is corrupt; set Password." : "the PFX cannot be opened: the password is wrong or the file is corrupt.",
                CertificateLoadErrorKind.WrongPassword, ex);
        }

        var leaf = collection.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new CertificateLoadException(source, "the PFX holds no certificate with a private key.", CertificateLoadErrorKind.NoPrivateKey);

        // Order the rest leaf-most first by walking issuers.
        var rest = collection.Where(c => !ReferenceEquals(c, leaf)).ToList();
        var chain = new List<X509Certificate2>();
        var current = leaf;
        while (rest.Count > 0)
        {
            var issuer = rest.FirstOrDefault(c => IssuedBy(current, c));
            if (issuer is null || IsSelfIssued(current))
            {
                break;
            }

            chain.Add(issuer);
            rest.Remove(issuer);
            current = issuer;
        }

        CheckChain(leaf, chain, source);
        return CertificateMaterial.Create(leaf, chain, source);
    }

    private static CertificateMaterial LoadFromStore(CertificateStoreOptions options, string source)
    {
        var thumbprint = options.Thumbprint!.Replace(" ", string.Empty, StringComparison.Ordinal).Replace(":", string.Empty, StringComparison.Ordinal);
        try
        {
            using var store = new X509Store(options.Name, options.Location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
            var leaf = found.FirstOrDefault()
                ?? throw new CertificateLoadException($"{source}:Thumbprint ('{thumbprint}')", $"no certificate with this thumbprint is in the {options.Location}/{options.Name} store.", CertificateLoadErrorKind.NotFoundInStore);
            if (!leaf.HasPrivateKey)
            {
                throw new CertificateLoadException($"{source}:Thumbprint ('{thumbprint}')", "the certificate in the store has no private key.", CertificateLoadErrorKind.NoPrivateKey);
            }

            return CertificateMaterial.Create(leaf, [], $"{source} ({options.Location}/{options.Name} {thumbprint})");
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source, $"the {options.Location}/{options.Name} store cannot be opened: {ex.Message}", CertificateLoadErrorKind.Unreadable, ex);
        }
    }

    private static void CheckChain(X509Certificate2 leaf, List<X509Certificate2> chain, string source)
    {
        var current = leaf;
        for (var i = 0; i < chain.Count; i++)
        {
            if (!IssuedBy(current, chain[i]))
            {
                var what = i == 0 ? $"the leaf {leaf.Subject}" : $"chain certificate #{i + 1} ({current.Subject})";
                throw new CertificateLoadException(source,
                    $"the chain does not belong to the leaf: chain certificate #{i + 2} ({chain[i].Subject}) did not issue {what}, whose issuer is {current.Issuer}. List the leaf first, then each issuer in order.",
                    CertificateLoadErrorKind.ChainMismatch);
            }

            current = chain[i];
        }
    }

    private static bool IssuedBy(X509Certificate2 subject, X509Certificate2 issuer)
    {
        if (!subject.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            return false;
        }

        var aki = subject.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var ski = issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
        return aki is null || ski is null || aki.Value.Span.SequenceEqual(ski.Value.Span);
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.IssuerName.RawData.AsSpan().SequenceEqual(certificate.SubjectName.RawData);

    private static void CheckValidity(CertificateMaterial material, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        if (now >= material.NotAfter)
        {
            throw new CertificateLoadException(material.Source, $"the certificate {material.Certificate.Subject} (SHA-256 {material.ThumbprintSha256}) expired at {material.NotAfter:u}.", CertificateLoadErrorKind.Expired);
        }

        if (now < material.NotBefore)
        {
            throw new CertificateLoadException(material.Source, $"the certificate {material.Certificate.Subject} (SHA-256 {material.ThumbprintSha256}) is not valid before {material.NotBefore:u}.", CertificateLoadErrorKind.NotYetValid);
        }
    }

    private static X509Certificate2 PlatformKey(X509Certificate2 certificate)
    {
        // SslStream on Windows cannot use an ephemeral (CopyWithPrivateKey) key; a PKCS#12 round trip fixes that.
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static string Sha256(X509Certificate2 certificate) => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
}
