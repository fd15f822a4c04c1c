using System.Collections.ObjectModel;
using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Internal;

/// <summary>Reads every subject alternative name by type (the BCL enumerates only DNS and IP).</summary>
internal sealed class SubjectAlternativeNames
{
    private static readonly ReadOnlyCollection<string> NoStrings = new([]);
    private static readonly ReadOnlyCollection<IPAddress> NoAddresses = new([]);

    public IReadOnlyList<string> DnsNames { get; private init; } = NoStrings;
    public IReadOnlyList<IPAddress> IpAddresses { get; private init; } = NoAddresses;
    public IReadOnlyList<string> Uris { get; private init; } = NoStrings;
    public IReadOnlyList<string> Emails { get; private init; } = NoStrings;

    public static SubjectAlternativeNames Read(X509Certificate2 certificate)
    {
        X509Extension? extension = null;
        foreach (var e in certificate.Extensions)
        {
            if (e.Oid?.Value == Oids.SubjectAltName)
            {
                extension = e;
                break;
            }
        }

        if (extension is null)
        {
            return new SubjectAlternativeNames();
        }

        List<string>? dns = null, uris = null, emails = null;
        List<IPAddress>? ips = null;
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    names.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 1:
                        (emails ??= []).Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 2:
                        (dns ??= []).Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 6:
                        (uris ??= []).Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 7:
                        var bytes = names.ReadOctetString(tag);
                        if (bytes.Length is 4 or 16)
                        {
                            (ips ??= []).Add(new IPAddress(bytes));
                        }

                        break;
                    default:
                        names.ReadEncodedValue();
                        break;
                }
            }
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException("The subject alternative name extension is malformed.", ex);
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
