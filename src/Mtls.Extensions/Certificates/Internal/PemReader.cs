using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Internal;

/// <summary>Splits PEM text into certificates and at most one private key.</summary>
internal static class PemReader
{
    public static bool LooksLikePem(ReadOnlySpan<byte> bytes) => bytes.IndexOf("-----BEGIN "u8) >= 0;

    /// <summary>
    /// Says what text after the last decodable PEM block is: a block with both its BEGIN and END lines that still does
    /// not decode is corrupted (a damaged character), not a write in progress; otherwise the file was cut off.
    /// </summary>
    public static string DescribeUndecodableBlock(ReadOnlySpan<char> rest)
    {
        var begin = rest.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        var end = begin < 0 ? -1 : rest[begin..].IndexOf("-----END ", StringComparison.Ordinal);
        var complete = end > 0 && rest[(begin + end + 9)..].Contains("-----", StringComparison.Ordinal);
        return complete
            ? "the file holds a complete PEM block that does not decode: its base64 text or its BEGIN/END lines are corrupted (not a partial write)."
            : "the file ends in an incomplete PEM block: it is being written, or was cut off.";
    }

    public static List<X509Certificate2> ReadCertificates(string pem, string source)
    {
        var (certificates, _) = Read(pem, source, allowKey: false);
        if (certificates.Count == 0)
        {
            throw new CertificateLoadException(source, "no PEM 'CERTIFICATE' block was found.", CertificateLoadErrorKind.NotACertificate);
        }

        return certificates;
    }

    public static (List<X509Certificate2> Certificates, PemKey? Key) Read(string pem, string source, bool allowKey)
    {
        var certificates = new List<X509Certificate2>();
        PemKey? key = null;
        var remaining = pem.AsSpan();
        var offset = 0;
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            var block = remaining[fields.Location];
            switch (label)
            {
                case "CERTIFICATE":
                    var der = new byte[fields.DecodedDataLength];
                    if (!Convert.TryFromBase64Chars(remaining[fields.Base64Data], der, out var written))
                    {
                        throw new CertificateLoadException(source, $"certificate #{certificates.Count + 1} is not valid base64.", CertificateLoadErrorKind.NotACertificate);
                    }

                    try
                    {
                        certificates.Add(X509CertificateLoader.LoadCertificate(der.AsSpan(0, written)));
                    }
                    catch (CryptographicException ex)
                    {
                        throw new CertificateLoadException(source, $"certificate #{certificates.Count + 1} is not a valid X.509 certificate.", CertificateLoadErrorKind.NotACertificate, ex);
                    }

                    break;
                case "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY":
                    if (!allowKey)
                    {
                        // A key in a trust bundle: the file was assembled wrongly (a certificate and its key concatenated
                        // into the CA file). Refused, never echoed: only the block's position is named.
                        throw new CertificateLoadException(
                            source,
                            $"the trust bundle holds a private key (a key block after {certificates.Count} certificate(s)): a key does not belong in a file of CA certificates, and its presence means the file was assembled wrongly. The bundle was not loaded; remove the key from the file and treat it as exposed.",
                            CertificateLoadErrorKind.NotACertificate);
                    }

                    if (key is not null)
                    {
                        throw new CertificateLoadException(source, "more than one private key was found; expected exactly one.", CertificateLoadErrorKind.InvalidKey);
                    }

                    key = new PemKey(label, block.ToString());
                    break;
                default:
                    // Other blocks (parameters, CRLs) are not ours to interpret.
                    break;
            }

            offset = fields.Location.End.Value;
            remaining = remaining[offset..];
        }

        return (certificates, key);
    }
}

/// <summary>A private key block. Its text never reaches a log or a message: <see cref="ToString"/> shows only the label.</summary>
internal sealed class PemKey(string label, string pem)
{
    public string Label { get; } = label;

    public string Pem { get; } = pem;

    public bool IsEncrypted => Label == "ENCRYPTED PRIVATE KEY";

    public override string ToString() => Label;
}
