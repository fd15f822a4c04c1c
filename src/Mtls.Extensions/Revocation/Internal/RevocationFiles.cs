using System.Security.Cryptography;
using System.Text;

namespace Mtls.Extensions.Internal;

/// <summary>
/// The file-backed part of revocation, read as one snapshot: the CRLs under <c>TrustedCa:Crls</c> (PEM or DER, several per
/// file) and the denylist file <c>Revocation:DenyPath</c>. A file that does not parse is a load error naming the key and the
/// file: at start-up it stops the app, later the last good snapshot stays.
/// </summary>
internal sealed class RevocationFiles
{
    public static readonly RevocationFiles Empty = new(DenyList.Empty, [], "");

    public RevocationFiles(DenyList deny, IReadOnlyList<CertificateRevocationList> crls, string contentHash)
    {
        Deny = deny;
        Crls = crls;
        ContentHash = contentHash;
    }

    public DenyList Deny { get; }

    public IReadOnlyList<CertificateRevocationList> Crls { get; }

    public string ContentHash { get; }

    public static bool IsConfigured(CrlFileOptions crls, MtlsRevocationOptions revocation) =>
        crls.IsConfigured || !string.IsNullOrWhiteSpace(revocation.DenyPath);

    /// <summary>The files read: the CRL file, every <c>*.crl</c>/<c>*.pem</c> of the CRL folder, the denylist file.</summary>
    public static IEnumerable<string> Files(CrlFileOptions crls, MtlsRevocationOptions revocation)
    {
        if (!string.IsNullOrWhiteSpace(crls.Path))
        {
            yield return Path.GetFullPath(crls.Path);
        }

        if (!string.IsNullOrWhiteSpace(crls.Directory))
        {
            // The folder itself, so that a new file in it is seen; its files for their symlink targets.
            yield return Path.Combine(Path.GetFullPath(crls.Directory), ".");
            if (System.IO.Directory.Exists(crls.Directory))
            {
                foreach (var file in FolderFiles(crls.Directory))
                {
                    yield return file;
                }
            }
        }

        if (!string.IsNullOrWhiteSpace(revocation.DenyPath))
        {
            yield return Path.GetFullPath(revocation.DenyPath);
        }
    }

    /// <exception cref="CertificateLoadException">A file is missing or does not parse.</exception>
    public static RevocationFiles Load(CrlFileOptions crls, MtlsRevocationOptions revocation, string trustedCaPath, string revocationPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var list = new List<CertificateRevocationList>();
        var crlKey = $"{trustedCaPath}:Crls";
        if (!string.IsNullOrWhiteSpace(crls.Path))
        {
            ReadCrlFile(Path.GetFullPath(crls.Path), $"{crlKey}:Path", list, hash);
        }

        if (!string.IsNullOrWhiteSpace(crls.Directory))
        {
            var folder = Path.GetFullPath(crls.Directory);
            if (!System.IO.Directory.Exists(folder))
            {
                throw new CertificateLoadException($"{crlKey}:Directory", $"the folder '{folder}' does not exist.", CertificateLoadErrorKind.FileNotFound);
            }

            foreach (var file in FolderFiles(folder))
            {
                ReadCrlFile(file, $"{crlKey}:Directory", list, hash);
            }
        }

        var deny = DenyList.Empty;
        if (!string.IsNullOrWhiteSpace(revocation.DenyPath))
        {
            var path = Path.GetFullPath(revocation.DenyPath);
            var bytes = FileReader.ReadAllBytes(path, $"{revocationPath}:DenyPath");
            hash.AppendData(bytes);
            deny = DenyList.FromFile(Encoding.UTF8.GetString(bytes), path, $"{revocationPath}:DenyPath");
        }

        return new RevocationFiles(deny, list, Convert.ToHexString(hash.GetHashAndReset()));
    }

    /// <summary>Reads every CRL of one file: PEM (<c>-----BEGIN X509 CRL-----</c> blocks) or DER (one or more concatenated).</summary>
    internal static void ReadCrlFile(string path, string key, List<CertificateRevocationList> into, IncrementalHash hash)
    {
        var bytes = FileReader.ReadAllBytes(path, key, 256L * 1024 * 1024);
        hash.AppendData(bytes);
        var before = into.Count;
        try
        {
            if (LooksLikePem(bytes))
            {
                var text = Encoding.ASCII.GetString(bytes).AsSpan();
                var offset = 0;
                var index = 0;
                while (PemEncoding.TryFind(text[offset..], out var fields))
                {
                    var label = text[offset..][fields.Label];
                    if (label.SequenceEqual("X509 CRL"))
                    {
                        into.Add(CertificateRevocationList.Parse(Convert.FromBase64String(text[offset..][fields.Base64Data].ToString()), $"'{path}' (PEM block {index + 1})"));
                        index++;
                    }

                    offset += fields.Location.End.Value;
                }
            }
            else
            {
                var reader = new System.Formats.Asn1.AsnReader(bytes, System.Formats.Asn1.AsnEncodingRules.DER);
                var index = 0;
                while (reader.HasData)
                {
                    var der = reader.ReadEncodedValue().ToArray();
                    into.Add(CertificateRevocationList.Parse(der, $"'{path}'{(index == 0 && !reader.HasData ? "" : $" (CRL {index + 1})")}"));
                    index++;
                }
            }
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or System.Formats.Asn1.AsnContentException)
        {
            throw new CertificateLoadException(key, $"'{path}' cannot be read as CRLs: {ex.Message}", CertificateLoadErrorKind.Other, ex);
        }

        if (into.Count == before)
        {
            throw new CertificateLoadException(key, $"'{path}' holds no CRL (expected PEM '-----BEGIN X509 CRL-----' blocks or DER).", CertificateLoadErrorKind.Other);
        }
    }

    private static bool LooksLikePem(byte[] bytes)
    {
        foreach (var b in bytes)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'-';
        }

        return false;
    }

    private static IEnumerable<string> FolderFiles(string folder) =>
        System.IO.Directory.EnumerateFiles(folder)
            .Where(f => f.EndsWith(".crl", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".pem", StringComparison.OrdinalIgnoreCase))
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal);
}
