using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions;

/// <summary>
/// The identity a peer certificate carries, parsed once: names, thumbprints, validity and every
/// subject alternative name by type. Claims and authorization are projections of this.
/// </summary>
public sealed class PeerIdentity
{
    private PeerIdentity(X509Certificate2 certificate, SubjectAlternativeNames sans)
    {
        Subject = certificate.Subject;
        Issuer = certificate.Issuer;
        CommonName = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } cn ? cn : null;
        SerialNumber = certificate.SerialNumber;
        ThumbprintSha1 = certificate.Thumbprint;
        var sha256 = certificate.GetCertHash(HashAlgorithmName.SHA256);
        ThumbprintSha256 = Convert.ToHexString(sha256);
        X5tS256 = Base64Url.EncodeToString(sha256);
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        DnsNames = sans.DnsNames;
        IpAddresses = sans.IpAddresses;
        Uris = sans.Uris;
        EmailAddresses = sans.Emails;

        var spiffeUris = 0;
        foreach (var uri in sans.Uris)
        {
            if (uri.StartsWith("spiffe:", StringComparison.OrdinalIgnoreCase))
            {
                spiffeUris++;
            }
        }

        HasMultipleUriSans = sans.Uris.Count > 1;
        if (sans.Uris.Count == 1 && spiffeUris == 1)
        {
            if (Extensions.SpiffeId.TryParse(sans.Uris[0], out var id, out var error))
            {
                SpiffeId = id;
            }
            else
            {
                SpiffeIdError = error;
            }
        }
        else if (spiffeUris > 0)
        {
            // A certificate with more than one URI SAN has no SPIFFE ID (X509-SVID spec).
            SpiffeIdError = sans.Uris.Count > 1 ? "the certificate has more than one URI SAN." : null;
        }
    }

    /// <summary>Gets the subject distinguished name.</summary>
    /// <value>For example <c>CN=orders, O=Example</c>.</value>
    public string Subject { get; }

    /// <summary>Gets the issuer distinguished name.</summary>
    /// <value>The issuer's subject.</value>
    public string Issuer { get; }

    /// <summary>Gets the subject common name, if any.</summary>
    /// <value>The CN, or <see langword="null"/>.</value>
    public string? CommonName { get; }

    /// <summary>Gets the serial number in hexadecimal.</summary>
    /// <value>Uppercase hexadecimal.</value>
    public string SerialNumber { get; }

    /// <summary>Gets the SHA-1 thumbprint in uppercase hexadecimal.</summary>
    /// <value>40 hexadecimal characters.</value>
    public string ThumbprintSha1 { get; }

    /// <summary>Gets the SHA-256 thumbprint in uppercase hexadecimal.</summary>
    /// <value>64 hexadecimal characters.</value>
    public string ThumbprintSha256 { get; }

    /// <summary>Gets the SHA-256 thumbprint in base64url, as used by the <c>x5t#S256</c> JWT confirmation claim (RFC 8705).</summary>
    /// <value>43 base64url characters.</value>
    public string X5tS256 { get; }

    /// <summary>Gets the start of the validity period.</summary>
    /// <value>In UTC.</value>
    public DateTimeOffset NotBefore { get; }

    /// <summary>Gets the end of the validity period.</summary>
    /// <value>In UTC.</value>
    public DateTimeOffset NotAfter { get; }

    /// <summary>Gets the DNS subject alternative names.</summary>
    /// <value>Possibly empty.</value>
    public IReadOnlyList<string> DnsNames { get; }

    /// <summary>Gets the IP address subject alternative names.</summary>
    /// <value>Possibly empty.</value>
    public IReadOnlyList<IPAddress> IpAddresses { get; }

    /// <summary>Gets the URI subject alternative names, as written in the certificate.</summary>
    /// <value>Possibly empty.</value>
    public IReadOnlyList<string> Uris { get; }

    /// <summary>Gets the email (rfc822Name) subject alternative names.</summary>
    /// <value>Possibly empty.</value>
    public IReadOnlyList<string> EmailAddresses { get; }

    /// <summary>Gets the SPIFFE ID: set only when the certificate has exactly one URI SAN and it is a valid SPIFFE ID.</summary>
    /// <value>The SPIFFE ID, or <see langword="null"/>.</value>
    public SpiffeId? SpiffeId { get; }

    /// <summary>Gets why a SPIFFE-looking URI SAN is not a usable SPIFFE ID, when that is the case.</summary>
    /// <value>A sentence, or <see langword="null"/>.</value>
    public string? SpiffeIdError { get; }

    /// <summary>Gets a value indicating whether the certificate has more than one URI SAN (and so no SPIFFE ID).</summary>
    /// <value><see langword="true"/> for two or more URI SANs.</value>
    public bool HasMultipleUriSans { get; }

    /// <summary>Gets a short display name: the SPIFFE ID when present, else the subject CN, else the subject.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public string DisplayName => SpiffeId?.ToString() ?? CommonName ?? Subject;

    /// <summary>Parses the identity of a certificate.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    /// <exception cref="CryptographicException">The subject alternative name extension is malformed.</exception>
    public static PeerIdentity FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new PeerIdentity(certificate, SubjectAlternativeNames.Read(certificate));
    }

    /// <summary>The identity of a certificate the validator has already parsed: its names are the ones the validator judged.</summary>
    /// <exception cref="CryptographicException">The subject alternative name extension is malformed.</exception>
    internal static PeerIdentity FromParsed(X509Certificate2 certificate, ParsedCertificate parsed) =>
        new(certificate, SubjectAlternativeNames.From(parsed));

    /// <inheritdoc/>
    public override string ToString() => $"{DisplayName} (SHA-256 {ThumbprintSha256})";
}
