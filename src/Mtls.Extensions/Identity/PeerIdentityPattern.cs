using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Mtls.Extensions;

/// <summary>
/// One allowed (or expected) peer identity: an exact SPIFFE ID, every ID in a trust domain, every ID under
/// a SPIFFE path prefix, a DNS name (matched against DNS SANs, never the CN; a wildcard SAN honoured for a server only, a client's matched literally), an IP
/// address, or an exact subject distinguished name.
/// </summary>
public sealed class PeerIdentityPattern : IEquatable<PeerIdentityPattern>
{
    private PeerIdentityPattern(PeerIdentityPatternKind kind, string value)
    {
        Kind = kind;
        Value = value;
    }

    /// <summary>Gets what the pattern matches on.</summary>
    /// <value>The kind.</value>
    public PeerIdentityPatternKind Kind { get; }

    /// <summary>Gets the normalized value.</summary>
    /// <value>A SPIFFE ID, trust domain name, path prefix ID, DNS name, IP address or subject.</value>
    public string Value { get; }

    /// <summary>
    /// Parses the configuration form: <c>spiffe://td/path</c> (exact ID), <c>spiffe://td</c> (trust domain),
    /// <c>spiffe://td/prefix/*</c> (path prefix), an IP address, or a DNS name.
    /// </summary>
    /// <param name="value">The text.</param>
    /// <returns>The pattern.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is not a valid pattern; the message says why.</exception>
    public static PeerIdentityPattern Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var pattern, out var error) ? pattern : throw new FormatException(error);
    }

    /// <summary>Tries to parse the configuration form (see <see cref="Parse(string)"/>).</summary>
    /// <param name="value">The text.</param>
    /// <param name="pattern">The pattern, on success.</param>
    /// <param name="error">Why the text is not a pattern, on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out PeerIdentityPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        value = value?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            error = "an allowed peer cannot be empty.";
            return false;
        }

        if (value.StartsWith("spiffe:", StringComparison.OrdinalIgnoreCase))
        {
            if (value.EndsWith("/*", StringComparison.Ordinal))
            {
                var prefix = value[..^2];
                if (!SpiffeId.TryParse(prefix, out var prefixId, out var prefixError) || prefixId.Path.Length == 0)
                {
                    error = $"'{value}' is not a valid SPIFFE path prefix: {prefixError ?? "the prefix has no path; use the trust domain ID instead."}";
                    return false;
                }

                pattern = new PeerIdentityPattern(PeerIdentityPatternKind.SpiffeIdPathPrefix, prefixId.ToString());
                error = null;
                return true;
            }

            if (!SpiffeId.TryParse(value, out var id, out var idError))
            {
                error = $"'{value}' is not a valid SPIFFE ID: {idError}";
                return false;
            }

            pattern = id.Path.Length == 0
                ? new PeerIdentityPattern(PeerIdentityPatternKind.TrustDomain, id.TrustDomain)
                : new PeerIdentityPattern(PeerIdentityPatternKind.SpiffeId, id.ToString());
            error = null;
            return true;
        }

        if (IPAddress.TryParse(value, out var ip))
        {
            pattern = new PeerIdentityPattern(PeerIdentityPatternKind.IpAddress, ip.ToString());
            error = null;
            return true;
        }

        if (Uri.CheckHostName(value.Replace("*.", string.Empty, StringComparison.Ordinal)) == UriHostNameType.Dns)
        {
            pattern = new PeerIdentityPattern(PeerIdentityPatternKind.DnsName, value.ToLowerInvariant());
            error = null;
            return true;
        }

        error = $"'{value}' is neither a SPIFFE ID, a trust domain ('spiffe://example.org'), a path prefix ('spiffe://example.org/ns/prod/*'), an IP address nor a DNS name.";
        return false;
    }

    /// <summary>Creates a pattern matching exactly one SPIFFE ID.</summary>
    /// <param name="id">The SPIFFE ID.</param>
    /// <returns>The pattern.</returns>
    public static PeerIdentityPattern ForSpiffeId(SpiffeId id) => new(PeerIdentityPatternKind.SpiffeId, id.ToString());

    /// <summary>Creates a pattern matching every SPIFFE ID in a trust domain.</summary>
    /// <param name="trustDomain">The trust domain name or ID.</param>
    /// <returns>The pattern.</returns>
    /// <exception cref="FormatException">The trust domain name is invalid.</exception>
    public static PeerIdentityPattern ForTrustDomain(string trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        var name = trustDomain.StartsWith(SpiffeId.SchemePrefix, StringComparison.Ordinal) ? trustDomain[SpiffeId.SchemePrefix.Length..] : trustDomain;
        var error = SpiffeId.ValidateTrustDomainName(name);
        return error is null ? new(PeerIdentityPatternKind.TrustDomain, name) : throw new FormatException($"'{trustDomain}' is not a valid trust domain: {error}");
    }

    /// <summary>Creates a pattern matching every SPIFFE ID equal to or below a path prefix.</summary>
    /// <param name="prefix">The prefix, a SPIFFE ID with a path (e.g. <c>spiffe://example.org/ns/prod</c>).</param>
    /// <returns>The pattern.</returns>
    /// <exception cref="FormatException">The prefix is not a SPIFFE ID with a path.</exception>
    public static PeerIdentityPattern ForSpiffeIdPathPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var id = SpiffeId.Parse(prefix.TrimEnd('*').TrimEnd('/'));
        return id.Path.Length == 0
            ? throw new FormatException($"'{prefix}' has no path; use a trust domain pattern instead.")
            : new(PeerIdentityPatternKind.SpiffeIdPathPrefix, id.ToString());
    }

    /// <summary>Creates a pattern matching a DNS SAN (never the CN; a server's wildcard SAN honoured, a client's matched literally).</summary>
    /// <param name="dnsName">The DNS name.</param>
    /// <returns>The pattern.</returns>
    public static PeerIdentityPattern ForDnsName(string dnsName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dnsName);
        return new(PeerIdentityPatternKind.DnsName, dnsName.Trim().ToLowerInvariant());
    }

    /// <summary>Creates a pattern matching an exact subject distinguished name (as <c>X500DistinguishedName.Name</c> formats it).</summary>
    /// <param name="subject">The subject, e.g. <c>CN=orders, O=Example</c>.</param>
    /// <returns>The pattern.</returns>
    public static PeerIdentityPattern ForSubject(string subject)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        return new(PeerIdentityPatternKind.Subject, subject.Trim());
    }

    /// <summary>
    /// Determines whether a client's identity matches this pattern. DNS names match literally (case-insensitive, a trailing
    /// dot ignored): a wildcard SAN such as <c>*.example.org</c> never satisfies a specific name such as
    /// <c>orders.example.org</c>, so whoever holds a shared wildcard certificate cannot be any peer under it.
    /// </summary>
    /// <param name="identity">The identity.</param>
    /// <returns><see langword="true"/> on a match.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="identity"/> is <see langword="null"/>.</exception>
    public bool Matches(PeerIdentity identity) => Matches(identity, PeerRole.Client);

    /// <summary>
    /// Determines whether an identity of a peer in <paramref name="role"/> matches this pattern: a server's wildcard DNS SAN
    /// keeps its RFC 6125 meaning (it covers one leftmost label); a client's DNS SANs match literally.
    /// </summary>
    internal bool Matches(PeerIdentity identity, PeerRole role)
    {
        ArgumentNullException.ThrowIfNull(identity);
        switch (Kind)
        {
            case PeerIdentityPatternKind.SpiffeId:
                return identity.SpiffeId is { } id && string.Equals(id.ToString(), Value, StringComparison.Ordinal);
            case PeerIdentityPatternKind.TrustDomain:
                return identity.SpiffeId is { } member && string.Equals(member.TrustDomain, Value, StringComparison.Ordinal);
            case PeerIdentityPatternKind.SpiffeIdPathPrefix:
                if (identity.SpiffeId is not { } under)
                {
                    return false;
                }

                var text = under.ToString();
                return text.StartsWith(Value, StringComparison.Ordinal) && (text.Length == Value.Length || text[Value.Length] == '/');
            case PeerIdentityPatternKind.DnsName:
                foreach (var name in identity.DnsNames)
                {
                    if (role == PeerRole.Server ? DnsMatches(name, Value) : DnsEquals(name, Value))
                    {
                        return true;
                    }
                }

                return false;
            case PeerIdentityPatternKind.IpAddress:
                foreach (var address in identity.IpAddresses)
                {
                    if (string.Equals(address.ToString(), Value, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            case PeerIdentityPatternKind.Subject:
                return string.Equals(identity.Subject, Value, StringComparison.Ordinal);
            default:
                return false;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        PeerIdentityPatternKind.TrustDomain => SpiffeId.SchemePrefix + Value,
        PeerIdentityPatternKind.SpiffeIdPathPrefix => Value + "/*",
        PeerIdentityPatternKind.Subject => "subject " + Value,
        _ => Value,
    };

    /// <inheritdoc/>
    public bool Equals(PeerIdentityPattern? other) => other is not null && other.Kind == Kind && string.Equals(other.Value, Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PeerIdentityPattern);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode(Value));

    /// <summary>Compares a certificate DNS SAN with a name literally: a wildcard SAN equals only the same wildcard.</summary>
    internal static bool DnsEquals(string sanName, string name) =>
        string.Equals(sanName.TrimEnd('.'), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Matches a certificate DNS SAN (possibly a left-most wildcard) against a host name.</summary>
    internal static bool DnsMatches(string sanName, string host)
    {
        sanName = sanName.TrimEnd('.');
        host = host.TrimEnd('.');
        if (string.Equals(sanName, host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (sanName.StartsWith("*.", StringComparison.Ordinal))
        {
            var dot = host.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && sanName.Length > 2 && string.Equals(sanName[1..], host[dot..], StringComparison.OrdinalIgnoreCase);
        }

        return false;
    }
}
