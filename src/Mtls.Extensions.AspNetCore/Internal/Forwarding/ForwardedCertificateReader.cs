using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// Reads the client certificate a trusted proxy forwarded, in the proxy's format, into DER bytes (leaf first). Every
/// input is treated as hostile: sizes and counts are bounded before anything is decoded, control characters and bad
/// encodings are rejections with a sentence naming the header and what is wrong (never the header's content), and
/// nothing here throws. Nothing here decides trust: the bytes go to the validator.
/// </summary>
internal static class ForwardedCertificateReader
{
    /// <summary>The largest header value read (all lines of the header together), in characters.</summary>
    public const int MaxHeaderLength = 64 * 1024;

    /// <summary>The most certificates one request may forward (leaf and chain).</summary>
    public const int MaxCertificates = 10;

    /// <summary>The most elements an Envoy <c>X-Forwarded-Client-Cert</c> header may hold.</summary>
    public const int MaxXfccElements = 32;

    public const string Rfc9440Header = "Client-Cert";
    public const string Rfc9440ChainHeader = "Client-Cert-Chain";
    public const string EnvoyHeader = "X-Forwarded-Client-Cert";
    public const string SslClientCertHeader = "X-SSL-Client-Cert";
    public const string AwsAlbHeader = "X-Amzn-Mtls-Clientcert";
    public const string AwsAlbLeafHeader = "X-Amzn-Mtls-Clientcert-Leaf";
    public const string AzureArrHeader = "X-ARR-ClientCert";

    /// <summary>The header a format reads when the entry names none.</summary>
    public static string DefaultHeader(MtlsForwardedCertificateFormat format) => format switch
    {
        MtlsForwardedCertificateFormat.Rfc9440 => Rfc9440Header,
        MtlsForwardedCertificateFormat.Envoy => EnvoyHeader,
        MtlsForwardedCertificateFormat.AwsAlb => AwsAlbHeader,
        MtlsForwardedCertificateFormat.AzureArr => AzureArrHeader,
        _ => SslClientCertHeader,
    };

    /// <summary>Whether the entry may name its own header (the proxy's configuration chooses it).</summary>
    public static bool HeaderIsConfigurable(MtlsForwardedCertificateFormat format) =>
        format is MtlsForwardedCertificateFormat.Nginx or MtlsForwardedCertificateFormat.Haproxy or MtlsForwardedCertificateFormat.Envoy or MtlsForwardedCertificateFormat.AzureArr;

    public static ForwardedCertificate Read(IHeaderDictionary headers, MtlsForwardedCertificateFormat format, string header) => format switch
    {
        MtlsForwardedCertificateFormat.Rfc9440 => ReadRfc9440(headers),
        MtlsForwardedCertificateFormat.Envoy => ReadEnvoy(headers, header),
        MtlsForwardedCertificateFormat.Nginx => ReadSingle(headers, header, UrlEncodedPem, leafOnly: true),
        MtlsForwardedCertificateFormat.Haproxy or MtlsForwardedCertificateFormat.AzureArr => ReadSingle(headers, header, Base64Der, leafOnly: true),
        MtlsForwardedCertificateFormat.AwsAlb => ReadAwsAlb(headers),
        _ => ForwardedCertificate.Malformed($"unknown forwarding format {(int)format}"),
    };

    private static ForwardedCertificate ReadRfc9440(IHeaderDictionary headers)
    {
        if (!TryGetSingle(headers, Rfc9440Header, out var leafValue, out var error))
        {
            return ForwardedCertificate.Malformed(error);
        }

        if (leafValue is null)
        {
            return headers.ContainsKey(Rfc9440ChainHeader)
                ? ForwardedCertificate.Malformed($"{Rfc9440ChainHeader} is present without {Rfc9440Header}")
                : ForwardedCertificate.Absent;
        }

        if (!TryReadByteSequence(leafValue, 0, out var leaf, out var end, out error) || !IsEndOfMember(leafValue, ref end, list: false))
        {
            return ForwardedCertificate.Malformed($"{Rfc9440Header} is not a Structured Field byte sequence (:base64:){Suffix(error)}");
        }

        var certificates = new List<byte[]> { leaf };
        if (!TryGetJoined(headers, Rfc9440ChainHeader, out var chainValue, out error))
        {
            return ForwardedCertificate.Malformed(error);
        }

        if (chainValue is not null)
        {
            var position = 0;
            SkipWhitespace(chainValue, ref position);
            while (position < chainValue.Length)
            {
                if (certificates.Count >= MaxCertificates)
                {
                    return ForwardedCertificate.Malformed($"{Rfc9440ChainHeader} holds more than {MaxCertificates - 1} certificates");
                }

                if (!TryReadByteSequence(chainValue, position, out var der, out position, out error) || !IsEndOfMember(chainValue, ref position, list: true))
                {
                    return ForwardedCertificate.Malformed($"{Rfc9440ChainHeader} element {certificates.Count} is not a Structured Field byte sequence (:base64:){Suffix(error)}");
                }

                certificates.Add(der);
            }
        }

        return ForwardedCertificate.Present([.. certificates]);
    }

    private static ForwardedCertificate ReadEnvoy(IHeaderDictionary headers, string header)
    {
        if (!TryGetJoined(headers, header, out var value, out var error))
        {
            return ForwardedCertificate.Malformed(error);
        }

        if (value is null)
        {
            return ForwardedCertificate.Absent;
        }

        if (!Xfcc.TryReadLastElement(value, out var cert, out var chain, out error))
        {
            return ForwardedCertificate.Malformed($"{header}: {error}");
        }

        if (cert is null && chain is null)
        {
            // The nearest proxy's element names no certificate: its client sent none.
            return ForwardedCertificate.Absent;
        }

        var certificates = new List<byte[]>();
        if (cert is not null)
        {
            var leaf = UrlEncodedPem(cert, header + " Cert", leafOnly: true);
            if (leaf.Error is not null)
            {
                return leaf;
            }

            certificates.Add(leaf.Certificates![0]);
        }

        if (chain is not null)
        {
            var all = UrlEncodedPem(chain, header + " Chain", leafOnly: false);
            if (all.Error is not null)
            {
                return all;
            }

            // Envoy's Chain is the whole chain, leaf first; with Cert present, its leaf must be the same certificate.
            var start = 0;
            if (certificates.Count == 1)
            {
                if (!all.Certificates![0].AsSpan().SequenceEqual(certificates[0]))
                {
                    return ForwardedCertificate.Malformed($"{header}: Chain does not start with the certificate in Cert");
                }

                start = 1;
            }

            certificates.AddRange(all.Certificates![start..]);
        }

        return ForwardedCertificate.Present([.. certificates]);
    }

    private static ForwardedCertificate ReadAwsAlb(IHeaderDictionary headers)
    {
        // Passthrough mode sends the whole chain (leaf first); verify mode sends the leaf only.
        if (headers.ContainsKey(AwsAlbHeader))
        {
            return ReadSingle(headers, AwsAlbHeader, UrlEncodedPem, leafOnly: false);
        }

        return ReadSingle(headers, AwsAlbLeafHeader, UrlEncodedPem, leafOnly: true);
    }

    private static ForwardedCertificate ReadSingle(IHeaderDictionary headers, string header, Func<string, string, bool, ForwardedCertificate> decode, bool leafOnly)
    {
        if (!TryGetSingle(headers, header, out var value, out var error))
        {
            return ForwardedCertificate.Malformed(error);
        }

        return value is null ? ForwardedCertificate.Absent : decode(value, header, leafOnly);
    }

    /// <summary>URL-encoded PEM (nginx's <c>$ssl_client_escaped_cert</c>, Envoy, AWS ALB): one or more CERTIFICATE blocks and nothing else.</summary>
    internal static ForwardedCertificate UrlEncodedPem(string value, string header, bool leafOnly)
    {
        value = value.Trim();
        if (value.Length == 0)
        {
            return ForwardedCertificate.Absent;
        }

        string pem;
        try
        {
            pem = Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return ForwardedCertificate.Malformed($"{header} is not URL-encoded PEM");
        }

        foreach (var c in pem)
        {
            if ((c < 0x20 && c is not ('\n' or '\r' or '\t')) || c >= 0x7F)
            {
                return ForwardedCertificate.Malformed($"{header} holds a control or non-ASCII character (U+{(int)c:X4}) after URL decoding");
            }
        }

        var certificates = new List<byte[]>();
        var rest = pem.AsSpan();
        while (true)
        {
            if (rest.Trim().IsEmpty)
            {
                break;
            }

            if (!System.Security.Cryptography.PemEncoding.TryFind(rest, out var fields))
            {
                return ForwardedCertificate.Malformed($"{header} is not URL-encoded PEM: no complete -----BEGIN CERTIFICATE----- block{(certificates.Count > 0 ? $" after certificate {certificates.Count}" : string.Empty)}");
            }

            if (!rest[..fields.Location.Start].Trim().IsEmpty)
            {
                return ForwardedCertificate.Malformed($"{header} holds text outside its PEM blocks");
            }

            if (!rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                return ForwardedCertificate.Malformed($"{header} holds a PEM block that is not a CERTIFICATE");
            }

            if (certificates.Count >= (leafOnly ? 1 : MaxCertificates))
            {
                return ForwardedCertificate.Malformed(leafOnly ? $"{header} holds more than one certificate; this format forwards the leaf only" : $"{header} holds more than {MaxCertificates} certificates");
            }

            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out var written))
            {
                return ForwardedCertificate.Malformed($"{header} holds a PEM block whose base64 does not decode");
            }

            certificates.Add(der[..written]);
            rest = rest[fields.Location.End..];
        }

        return certificates.Count == 0 ? ForwardedCertificate.Absent : ForwardedCertificate.Present([.. certificates]);
    }

    /// <summary>Base64 DER (HAProxy's <c>ssl_c_der,base64</c>, Azure's <c>X-ARR-ClientCert</c>): one certificate.</summary>
    internal static ForwardedCertificate Base64Der(string value, string header, bool leafOnly)
    {
        _ = leafOnly;
        var span = value.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return ForwardedCertificate.Absent;
        }

        var der = new byte[span.Length / 4 * 3 + 3];
        return Convert.TryFromBase64Chars(span, der, out var written) && written > 0
            ? ForwardedCertificate.Present([der[..written]])
            : ForwardedCertificate.Malformed($"{header} is not base64 ({span.Length} characters)");
    }

    /// <summary>Reads <c>:base64:</c> at <paramref name="start"/> (leading whitespace allowed).</summary>
    internal static bool TryReadByteSequence(string value, int start, out byte[] der, out int end, out string? error)
    {
        der = [];
        end = start;
        error = null;
        SkipWhitespace(value, ref end);
        if (end >= value.Length || value[end] != ':')
        {
            error = "expected ':' to open it";
            return false;
        }

        var close = value.IndexOf(':', end + 1);
        if (close < 0)
        {
            error = "no ':' closes it";
            return false;
        }

        var base64 = value.AsSpan(end + 1, close - end - 1);
        var buffer = new byte[base64.Length / 4 * 3 + 3];
        if (base64.IsEmpty || !Convert.TryFromBase64Chars(base64, buffer, out var written))
        {
            error = "its content is not base64";
            return false;
        }

        der = buffer[..written];
        end = close + 1;
        return true;
    }

    /// <summary>After a member: parameters (ignored, RFC 8941), whitespace, and then the end or (in a list) a comma.</summary>
    private static bool IsEndOfMember(string value, ref int position, bool list)
    {
        while (position < value.Length && value[position] == ';')
        {
            // Parameters carry nothing RFC 9440 defines; skip a key and an optional token value.
            position++;
            while (position < value.Length && value[position] is not (',' or ';' or ' ' or '\t'))
            {
                if (value[position] == '"')
                {
                    return false;
                }

                position++;
            }
        }

        SkipWhitespace(value, ref position);
        if (position >= value.Length)
        {
            return true;
        }

        if (!list || value[position] != ',')
        {
            return false;
        }

        position++;
        SkipWhitespace(value, ref position);
        return position < value.Length;
    }

    private static void SkipWhitespace(string value, ref int position)
    {
        while (position < value.Length && value[position] is ' ' or '\t')
        {
            position++;
        }
    }

    /// <summary>One header line at most (a second copy is an error), bounded, printable ASCII only; <see langword="null"/> when absent.</summary>
    private static bool TryGetSingle(IHeaderDictionary headers, string header, out string? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (!headers.TryGetValue(header, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return true;
        }

        if (values.Count > 1)
        {
            error = $"{header} appears {values.Count} times; a proxy forwards one client certificate";
            return false;
        }

        value = values[0];
        return Check(header, value!, out error);
    }

    /// <summary>All lines of a list header joined with commas (RFC 9110), bounded, printable ASCII only.</summary>
    private static bool TryGetJoined(IHeaderDictionary headers, string header, out string? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (!headers.TryGetValue(header, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return true;
        }

        if (values.Count > MaxXfccElements)
        {
            error = $"{header} appears {values.Count} times (at most {MaxXfccElements})";
            return false;
        }

        var length = 0;
        foreach (var line in values)
        {
            length += (line?.Length ?? 0) + 1;
        }

        if (length > MaxHeaderLength)
        {
            error = $"{header} is {length} characters long (at most {MaxHeaderLength})";
            return false;
        }

        value = values.Count == 1 ? values[0] : string.Join(',', values.ToArray());
        return Check(header, value!, out error);
    }

    private static bool Check(string header, string value, out string error)
    {
        error = string.Empty;
        if (value.Length > MaxHeaderLength)
        {
            error = $"{header} is {value.Length} characters long (at most {MaxHeaderLength})";
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if ((c < 0x20 && c != '\t') || c >= 0x7F)
            {
                error = $"{header} holds a control or non-ASCII character (U+{(int)c:X4}) at position {i}";
                return false;
            }
        }

        return true;
    }

    private static string Suffix(string? error) => error is null ? string.Empty : ": " + error;

    /// <summary>Envoy's <c>X-Forwarded-Client-Cert</c>: comma-separated elements of semicolon-separated <c>Key=Value</c> pairs, values optionally quoted with backslash escapes.</summary>
    internal static class Xfcc
    {
        /// <summary>Parses every element (so that a malformed earlier element is refused too) and returns the last one's Cert and Chain.</summary>
        public static bool TryReadLastElement(string value, out string? cert, out string? chain, out string? error)
        {
            cert = null;
            chain = null;
            error = null;
            var position = 0;
            var elements = 0;
            while (true)
            {
                if (++elements > MaxXfccElements)
                {
                    error = $"more than {MaxXfccElements} elements";
                    return false;
                }

                string? elementCert = null, elementChain = null;
                var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                while (true)
                {
                    SkipWhitespace(value, ref position);
                    var keyStart = position;
                    while (position < value.Length && value[position] is not ('=' or ';' or ',' or '"'))
                    {
                        position++;
                    }

                    if (position >= value.Length || value[position] != '=' || position == keyStart)
                    {
                        error = $"element {elements}: expected Key=Value at position {keyStart}";
                        return false;
                    }

                    var key = value[keyStart..position].Trim();
                    position++;
                    if (!TryReadValue(value, ref position, out var pairValue))
                    {
                        error = $"element {elements}: the value of {PeerText.Escape(key, 32)} has an unterminated quote or a bad escape";
                        return false;
                    }

                    if (!keys.Add(key))
                    {
                        error = $"element {elements}: {PeerText.Escape(key, 32)} appears twice";
                        return false;
                    }

                    // Only the certificate itself counts; By, Hash, Subject, URI and DNS are the proxy's claims, never trusted.
                    if (key.Equals("Cert", StringComparison.OrdinalIgnoreCase))
                    {
                        elementCert = pairValue;
                    }
                    else if (key.Equals("Chain", StringComparison.OrdinalIgnoreCase))
                    {
                        elementChain = pairValue;
                    }

                    SkipWhitespace(value, ref position);
                    if (position >= value.Length)
                    {
                        cert = elementCert;
                        chain = elementChain;
                        return true;
                    }

                    if (value[position] == ',')
                    {
                        position++;
                        break;
                    }

                    if (value[position] != ';')
                    {
                        error = $"element {elements}: expected ';' or ',' at position {position}";
                        return false;
                    }

                    position++;
                }
            }
        }

        private static bool TryReadValue(string value, ref int position, out string result)
        {
            SkipWhitespace(value, ref position);
            if (position < value.Length && value[position] == '"')
            {
                var builder = new StringBuilder();
                position++;
                while (position < value.Length)
                {
                    var c = value[position++];
                    if (c == '"')
                    {
                        result = builder.ToString();
                        return true;
                    }

                    if (c == '\\')
                    {
                        if (position >= value.Length)
                        {
                            break;
                        }

                        c = value[position++];
                    }

                    builder.Append(c);
                }

                result = string.Empty;
                return false;
            }

            var start = position;
            while (position < value.Length && value[position] is not (';' or ','))
            {
                if (value[position] == '"')
                {
                    result = string.Empty;
                    return false;
                }

                position++;
            }

            result = value[start..position].Trim();
            return true;
        }
    }
}
