using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Internal;

/// <summary>
/// The denylist kill switch: certificate SHA-256, SPKI SHA-256, serial number (optionally with its issuer) and SPIFFE ID
/// entries, each looked up with one hash lookup. Immutable; each entry remembers where it was written (its configuration
/// key or file line) so that a rejection names it.
/// </summary>
internal sealed class DenyList
{
    public static readonly DenyList Empty = new([]);

    private readonly List<DenyEntry> _all;
    private readonly Dictionary<string, string> _certificates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string? Issuer, string Where)>> _serials = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _spiffeIds = new(StringComparer.Ordinal);

    private DenyList(IEnumerable<DenyEntry> entries)
    {
        _all = [.. entries];
        foreach (var entry in _all)
        {
            Count++;
            var where = $"{entry.Text} ({entry.Where})";
            switch (entry.Kind)
            {
                case DenyEntryKind.CertificateSha256:
                    _certificates.TryAdd(entry.Value, where);
                    break;
                case DenyEntryKind.SpkiSha256:
                    _keys.TryAdd(entry.Value, where);
                    break;
                case DenyEntryKind.Serial:
                    if (!_serials.TryGetValue(entry.Value, out var list))
                    {
                        _serials[entry.Value] = list = [];
                    }

                    list.Add((entry.Issuer, where));
                    break;
                default:
                    _spiffeIds.TryAdd(entry.Value, where);
                    break;
            }
        }
    }

    /// <summary>Gets the number of entries.</summary>
    public int Count { get; }

    public static DenyList Create(IEnumerable<DenyEntry> entries) => new(entries);

    /// <summary>Parses configured entries (<c>Mtls:Server:Revocation:Deny:0</c> …); an entry that does not parse throws, naming its key.</summary>
    /// <exception cref="InvalidOperationException">An entry does not parse.</exception>
    public static DenyList FromConfiguration(IList<string> entries, string configurationKey)
    {
        var parsed = new List<DenyEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var key = $"{configurationKey}:{i}";
            if (!DenyEntry.TryParse(entries[i], key, out var entry, out var error))
            {
                throw new InvalidOperationException($"{key}: '{Diagnostics(entries[i])}' is not a denylist entry: {error}");
            }

            parsed.Add(entry);
        }

        return parsed.Count == 0 ? Empty : new DenyList(parsed);
    }

    /// <summary>Parses a denylist file: one entry per line, blank lines and <c>#</c> comments ignored.</summary>
    /// <exception cref="CertificateLoadException">A line does not parse.</exception>
    public static DenyList FromFile(string text, string path, string configurationKey)
    {
        var parsed = new List<DenyEntry>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            var comment = line.IndexOf('#', StringComparison.Ordinal);
            if (comment >= 0)
            {
                line = line[..comment].TrimEnd();
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (!DenyEntry.TryParse(line, $"{path}:{number}", out var entry, out var error))
            {
                throw new CertificateLoadException(configurationKey, $"'{path}' line {number}: '{Diagnostics(line)}' is not a denylist entry: {error}", CertificateLoadErrorKind.Other);
            }

            parsed.Add(entry);
        }

        return new DenyList(parsed);
    }

    /// <summary>Finds the entry that denies <paramref name="certificate"/>, or <see langword="null"/>.</summary>
    public string? Find(ParsedCertificate certificate, PeerIdentity? identity)
    {
        if (Count == 0)
        {
            return null;
        }

        if (_certificates.Count > 0)
        {
            var hash = identity?.ThumbprintSha256 ?? Convert.ToHexString(SHA256.HashData(certificate.Raw));
            if (_certificates.TryGetValue(hash, out var where))
            {
                return where;
            }
        }

        if (_keys.Count > 0 && _keys.TryGetValue(Convert.ToHexString(SHA256.HashData(certificate.SubjectPublicKeyInfo.Span)), out var key))
        {
            return key;
        }

        if (_serials.Count > 0 && _serials.TryGetValue(DenyEntry.NormalizeSerial(Convert.ToHexString(certificate.Serial.Span)), out var serials))
        {
            string? issuer = null;
            foreach (var (wantedIssuer, where) in serials)
            {
                if (wantedIssuer is null)
                {
                    return where;
                }

                issuer ??= DenyEntry.NormalizeName(new X500DistinguishedName(certificate.Issuer.Span));
                if (string.Equals(issuer, wantedIssuer, StringComparison.OrdinalIgnoreCase))
                {
                    return where;
                }
            }
        }

        if (_spiffeIds.Count > 0 && identity?.SpiffeId is { } id && _spiffeIds.TryGetValue(id.ToString(), out var spiffe))
        {
            return spiffe;
        }

        return null;
    }

    /// <summary>The entries of both lists (configuration and file).</summary>
    public DenyList Merge(DenyList other) =>
        other.Count == 0 ? this : Count == 0 ? other : new DenyList(_all.Concat(other._all));

    private static string Diagnostics(string value) => PeerText.Escape(value, 200);
}
