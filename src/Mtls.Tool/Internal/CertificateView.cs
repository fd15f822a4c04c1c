using System.Formats.Asn1;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Mtls.Extensions;

namespace Mtls.Tool.Internal;

/// <summary>Everything in a certificate that decides a verdict, as JSON (and rendered from that JSON as text).</summary>
internal static class CertificateView
{
    public static JsonObject Describe(X509Certificate2 certificate, DateTimeOffset now)
    {
        var sans = SubjectAltNames(certificate);
        var uris = sans.Where(s => s.StartsWith("URI:", StringComparison.Ordinal)).Select(s => s[4..]).ToList();
        string? spiffe = null;
        if (uris.Count == 1 && SpiffeId.TryParse(uris[0], out var id, out _))
        {
            spiffe = id.ToString();
        }

        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var view = new JsonObject
        {
            ["subject"] = certificate.Subject,
            ["issuer"] = certificate.Issuer,
            ["serial"] = certificate.SerialNumber,
            ["notBefore"] = notBefore.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["notAfter"] = notAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["validity"] = Validity(notBefore, notAfter, now),
            ["key"] = KeyDescription(certificate),
            ["subjectAltNames"] = Array(sans),
            ["spiffeId"] = spiffe,
            ["extendedKeyUsage"] = Array(ExtendedKeyUsages(certificate)),
            ["keyUsage"] = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages.ToString(),
            ["basicConstraints"] = BasicConstraints(certificate),
            ["nameConstraints"] = NameConstraints(certificate),
            ["subjectKeyIdentifier"] = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifier,
            ["authorityKeyIdentifier"] = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier is { } aki
                ? Convert.ToHexString(aki.Span) : null,
            ["sha256"] = certificate.GetCertHashString(HashAlgorithmName.SHA256),
            ["selfSigned"] = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData),
        };
        return view;
    }

    /// <summary>Puts the certificates in issuing order from the leaf (the first one that issues none of the others).</summary>
    public static (List<X509Certificate2> Chain, List<X509Certificate2> Unrelated) Order(IReadOnlyList<X509Certificate2> certificates)
    {
        if (certificates.Count == 0)
        {
            return ([], []);
        }

        var leaf = certificates.FirstOrDefault(c => !certificates.Any(o => !ReferenceEquals(o, c) && Issued(c, o))) ?? certificates[0];
        var chain = new List<X509Certificate2> { leaf };
        while (!IsSelfIssued(chain[^1]) && certificates.FirstOrDefault(c => !chain.Contains(c) && Issued(c, chain[^1])) is { } issuer)
        {
            chain.Add(issuer);
        }

        return (chain, [.. certificates.Where(c => !chain.Contains(c))]);
    }

    public static void AppendText(StringBuilder text, JsonObject view, string indent)
    {
        void Line(string label, JsonNode? value)
        {
            if (value is null || (value is JsonArray { Count: 0 }))
            {
                return;
            }

            var rendered = value is JsonArray array ? string.Join(", ", array.Select(v => v!.ToString())) : value.ToString();
            text.Append(CultureInfo.InvariantCulture, $"{indent}{label,-12} {rendered}\n");
        }

        Line("issuer:", view["issuer"]);
        Line("serial:", view["serial"]);
        Line("valid:", JsonValue.Create($"{view["notBefore"]} .. {view["notAfter"]} ({view["validity"]})"));
        Line("key:", view["key"]);
        Line("SANs:", view["subjectAltNames"]);
        Line("SPIFFE ID:", view["spiffeId"]);
        Line("EKU:", view["extendedKeyUsage"]);
        Line("key usage:", view["keyUsage"]);
        Line("basic:", view["basicConstraints"]);
        Line("names:", view["nameConstraints"]);
        Line("SKI:", view["subjectKeyIdentifier"]);
        Line("AKI:", view["authorityKeyIdentifier"]);
        Line("SHA-256:", view["sha256"]);
    }

    private static bool Issued(X509Certificate2 issuer, X509Certificate2 subject) =>
        !ReferenceEquals(issuer, subject) && issuer.SubjectName.RawData.AsSpan().SequenceEqual(subject.IssuerName.RawData)
        && !subject.RawDataMemory.Span.SequenceEqual(issuer.RawDataMemory.Span);

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static string Validity(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now) =>
        now < notBefore ? $"not valid for another {Span(notBefore - now)}"
        : now >= notAfter ? $"expired {Span(now - notAfter)} ago"
        : $"{Span(notAfter - now)} left";

    private static string Span(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h"
        : span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes}m"
        : $"{(int)span.TotalMinutes}m {span.Seconds}s";

    private static string KeyDescription(X509Certificate2 certificate)
    {
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return $"RSA {rsa.KeySize}";
            }
        }

        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                var curve = ec.ExportParameters(false).Curve;
                var name = !curve.IsNamed ? "explicit curve" : curve.Oid.Value switch
                {
                    "1.2.840.10045.3.1.7" => "P-256",
                    "1.3.132.0.34" => "P-384",
                    "1.3.132.0.35" => "P-521",
                    _ => curve.Oid.FriendlyName ?? curve.Oid.Value,
                };
                return $"ECDSA {name} ({ec.KeySize} bits)";
            }
        }

        var oid = certificate.PublicKey.Oid;
        return $"{oid.FriendlyName ?? "unknown"} ({oid.Value})";
    }

    private static List<string> ExtendedKeyUsages(X509Certificate2 certificate)
    {
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null)
        {
            return [];
        }

        return [.. eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value switch
        {
            "1.3.6.1.5.5.7.3.1" => "serverAuth",
            "1.3.6.1.5.5.7.3.2" => "clientAuth",
            _ => $"{o.FriendlyName ?? "other"} ({o.Value})",
        })];
    }

    private static string? BasicConstraints(X509Certificate2 certificate)
    {
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is null)
        {
            return null;
        }

        var text = basic.CertificateAuthority ? "CA=true" : "CA=false";
        if (basic.HasPathLengthConstraint)
        {
            text += $", pathLen={basic.PathLengthConstraint}";
        }

        return basic.Critical ? text + " (critical)" : text;
    }

    private static List<string> SubjectAltNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null)
        {
            return [];
        }

        try
        {
            var names = new List<string>();
            var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                names.Add(GeneralName(sequence, nameConstraint: false));
            }

            return names;
        }
        catch (AsnContentException)
        {
            return ["(malformed subjectAltName)"];
        }
    }

    private static string? NameConstraints(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.30"];
        if (extension is null)
        {
            return null;
        }

        try
        {
            var parts = new List<string>();
            var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                var subtrees = sequence.ReadSequence(tag);
                var names = new List<string>();
                while (subtrees.HasData)
                {
                    var subtree = subtrees.ReadSequence();
                    names.Add(GeneralName(subtree, nameConstraint: true));
                }

                parts.Add($"{(tag.TagValue == 0 ? "permitted" : "excluded")} {string.Join(" ", names)}");
            }

            return string.Join("; ", parts) + (extension.Critical ? " (critical)" : string.Empty);
        }
        catch (AsnContentException)
        {
            return "(malformed nameConstraints)";
        }
    }

    private static string GeneralName(AsnReader reader, bool nameConstraint)
    {
        var tag = reader.PeekTag();
        if (tag.TagClass != TagClass.ContextSpecific)
        {
            reader.ReadEncodedValue();
            return "(unknown name)";
        }

        switch (tag.TagValue)
        {
            case 1:
                return "email:" + reader.ReadCharacterString(UniversalTagNumber.IA5String, tag);
            case 2:
                return "DNS:" + reader.ReadCharacterString(UniversalTagNumber.IA5String, tag);
            case 6:
                return "URI:" + reader.ReadCharacterString(UniversalTagNumber.IA5String, tag);
            case 7:
                var bytes = reader.ReadOctetString(tag);
                if (nameConstraint && bytes.Length is 8 or 32)
                {
                    var half = bytes.Length / 2;
                    return $"IP:{new IPAddress(bytes.AsSpan(0, half))}/{new IPAddress(bytes.AsSpan(half))}";
                }

                return bytes.Length is 4 or 16 ? "IP:" + new IPAddress(bytes) : "IP:(malformed)";
            case 4:
                reader.ReadEncodedValue();
                return "dirName";
            default:
                reader.ReadEncodedValue();
                return $"other[{tag.TagValue}]";
        }
    }

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
