using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Internal;

internal enum DenyEntryKind
{
    CertificateSha256,
    SpkiSha256,
    Serial,
    SpiffeId,
}

/// <summary>One denylist entry as written (<c>sha256:…</c>, <c>spki-sha256:…</c>, <c>serial:…[;issuer:…]</c>, a SPIFFE ID), normalized for lookup.</summary>
/// <param name="Kind">What the entry matches.</param>
/// <param name="Value">The normalized value: upper-case hex without separators or leading zeros (serial), or the SPIFFE ID.</param>
/// <param name="Issuer">For a serial: the issuer's distinguished name, normalized; <see langword="null"/> for any issuer.</param>
/// <param name="Text">The entry as written, for messages.</param>
/// <param name="Where">Where it was written: its configuration key or file and line.</param>
internal sealed record DenyEntry(DenyEntryKind Kind, string Value, string? Issuer, string Text, string Where)
{
    public static bool TryParse(string? text, string where, [NotNullWhen(true)] out DenyEntry? entry, [NotNullWhen(false)] out string? error)
    {
        entry = null;
        var value = text?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            error = "it is empty";
            return false;
        }

        if (value.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            return Hash(DenyEntryKind.CertificateSha256, value, value["sha256:".Length..], where, out entry, out error);
        }

        if (value.StartsWith("spki-sha256:", StringComparison.OrdinalIgnoreCase))
        {
            return Hash(DenyEntryKind.SpkiSha256, value, value["spki-sha256:".Length..], where, out entry, out error);
        }

        if (value.StartsWith("serial:", StringComparison.OrdinalIgnoreCase))
        {
            var rest = value["serial:".Length..];
            string? issuer = null;
            var separator = rest.IndexOf(';', StringComparison.Ordinal);
            if (separator >= 0)
            {
                var issuerPart = rest[(separator + 1)..].Trim();
                rest = rest[..separator];
                if (!issuerPart.StartsWith("issuer:", StringComparison.OrdinalIgnoreCase))
                {
                    error = "after the serial number and ';' only 'issuer:<distinguished name>' may follow, e.g. 'serial:1A2B;issuer:CN=Example CA'";
                    return false;
                }

                try
                {
                    issuer = NormalizeName(new X500DistinguishedName(issuerPart["issuer:".Length..].Trim()));
                }
                catch (CryptographicException ex)
                {
                    error = $"the issuer is not a distinguished name ({ex.Message})";
                    return false;
                }
            }

            var hex = Strip(rest);
            if (hex.Length == 0 || !IsHex(hex))
            {
                error = "the serial number must be hexadecimal (as printed by 'openssl x509 -serial'), e.g. 'serial:1A2B3C'";
                return false;
            }

            entry = new DenyEntry(DenyEntryKind.Serial, NormalizeSerial(hex), issuer, value, where);
            error = null;
            return true;
        }

        if (value.StartsWith("spiffe://", StringComparison.OrdinalIgnoreCase))
        {
            if (!SpiffeId.TryParse(value, out var id, out var spiffeError))
            {
                error = $"it is not a valid SPIFFE ID: {spiffeError}";
                return false;
            }

            entry = new DenyEntry(DenyEntryKind.SpiffeId, id.ToString(), null, value, where);
            error = null;
            return true;
        }

        error = "use 'sha256:<hex of the certificate's DER>', 'spki-sha256:<hex of its SubjectPublicKeyInfo>', 'serial:<hex>' (optionally ';issuer:<DN>') or a SPIFFE ID 'spiffe://…'";
        return false;
    }

    /// <summary>Upper-case hex without leading zero digits (a DER integer may carry a 00 sign byte).</summary>
    public static string NormalizeSerial(string hex)
    {
        var trimmed = hex.TrimStart('0').ToUpperInvariant();
        return trimmed.Length == 0 ? "0" : trimmed;
    }

    /// <summary>A distinguished name as text, one form for every encoding of it (PrintableString or UTF8String, spacing).</summary>
    public static string NormalizeName(X500DistinguishedName name) =>
        name.Decode(X500DistinguishedNameFlags.UseCommas | X500DistinguishedNameFlags.DoNotUseQuotes);

    private static bool Hash(DenyEntryKind kind, string text, string value, string where, out DenyEntry? entry, out string? error)
    {
        var hex = Strip(value);
        if (hex.Length != 64 || !IsHex(hex))
        {
            entry = null;
            error = $"a SHA-256 is 64 hexadecimal digits (colons allowed), but {hex.Length.ToString(CultureInfo.InvariantCulture)} characters were given{(IsHex(hex) ? "" : ", not all of them hexadecimal")}";
            return false;
        }

        entry = new DenyEntry(kind, hex.ToUpperInvariant(), null, text, where);
        error = null;
        return true;
    }

    private static string Strip(string value) => value.Trim().Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);

    private static bool IsHex(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
