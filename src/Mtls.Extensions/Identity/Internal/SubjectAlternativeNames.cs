using System.Collections.ObjectModel;
using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Internal;

/// <summary>
/// The subject alternative names by type (the BCL enumerates only DNS and IP): a projection of the GeneralNames decoded by
/// <see cref="ParsedCertificate.ReadSubjectAltNames"/>, the one SAN decoder, so identity and validation see the same names.
/// </summary>
internal sealed class SubjectAlternativeNames
{
    private static readonly ReadOnlyCollection<string> NoStrings = new([]);
    private static readonly ReadOnlyCollection<IPAddress> NoAddresses = new([]);

    public IReadOnlyList<string> DnsNames { get; private init; } = NoStrings;
    public IReadOnlyList<IPAddress> IpAddresses { get; private init; } = NoAddresses;
    public IReadOnlyList<string> Uris { get; private init; } = NoStrings;
    public IReadOnlyList<string> Emails { get; private init; } = NoStrings;

    /// <summary>Decodes the first subjectAltName extension of a certificate that has not been parsed as a whole.</summary>
    /// <exception cref="CryptographicException">The extension is malformed.</exception>
    public static SubjectAlternativeNames Read(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == Oids.SubjectAltName)
            {
                List<GeneralName> names;
                try
                {
                    names = ParsedCertificate.ReadSubjectAltNames(extension.RawData);
                }
                catch (AsnContentException ex)
                {
                    throw Malformed(ex.Message, ex);
                }

                return From(names);
            }
        }

        return new SubjectAlternativeNames();
    }

    /// <summary>The names of a certificate the validator parsed (the same decoding, not a second one).</summary>
    /// <exception cref="CryptographicException">The subjectAltName extension is malformed.</exception>
    public static SubjectAlternativeNames From(ParsedCertificate certificate) =>
        certificate.SubjectAltNamesError is { } error ? throw Malformed(error, null) : From(certificate.SubjectAltNames ?? []);

    private static CryptographicException Malformed(string detail, Exception? inner) =>
        new($"The subject alternative name extension is malformed: {detail}", inner);

    private static SubjectAlternativeNames From(IReadOnlyList<GeneralName> names)
    {
        List<string>? dns = null, uris = null, emails = null;
        List<IPAddress>? ips = null;
        foreach (var name in names)
        {
            switch (name.Tag)
            {
                case GeneralName.Rfc822:
                    (emails ??= []).Add(name.Text!);
                    break;
                case GeneralName.Dns:
                    (dns ??= []).Add(name.Text!);
                    break;
                case GeneralName.Uri:
                    (uris ??= []).Add(name.Text!);
                    break;
                case GeneralName.Ip:
                    (ips ??= []).Add(new IPAddress(name.Bytes.Span));
                    break;
            }
        }

        return new SubjectAlternativeNames
        {
            DnsNames = dns is null ? NoStrings : dns.AsReadOnly(),
            IpAddresses = ips is null ? NoAddresses : ips.AsReadOnly(),
            Uris = uris is null ? NoStrings : uris.AsReadOnly(),
            Emails = emails is null ? NoStrings : emails.AsReadOnly(),
        };
    }
}
