using System.Diagnostics.CodeAnalysis;

namespace Mtls.Extensions;

/// <summary>
/// A SPIFFE ID (<c>spiffe://trust-domain/path</c>) validated exactly as the SPIFFE ID specification
/// requires: lowercase trust-domain characters, path segments of letters, digits, <c>.</c>, <c>-</c> and
/// <c>_</c>, no empty or dot segments, no trailing slash, no query, fragment, port or user info, a trust
/// domain of at most 255 bytes (the URI host limit) and at most 2048 bytes in all.
/// </summary>
public readonly struct SpiffeId : IEquatable<SpiffeId>
{
    /// <summary>The URI scheme prefix of every SPIFFE ID.</summary>
    public const string SchemePrefix = "spiffe://";

    /// <summary>The maximum length of a SPIFFE ID, in bytes.</summary>
    public const int MaxLength = 2048;

    // SPIFFE-ID §2.3: RFC 3986 limits the host to 255 characters, so a trust domain name is at most 255 bytes.
    private const int MaxTrustDomainLength = 255;

    private readonly string? _value;
    private readonly int _pathStart;

    private SpiffeId(string value, int pathStart)
    {
        _value = value;
        _pathStart = pathStart;
    }

    /// <summary>Gets the trust domain name, for example <c>example.org</c>.</summary>
    /// <value>The trust domain name; empty for the default value.</value>
    public string TrustDomain => _value is null ? string.Empty : _value[SchemePrefix.Length.._pathStart];

    /// <summary>Gets the path, including its leading slash, or an empty string when the ID has no path.</summary>
    /// <value>The path, for example <c>/ns/prod/sa/orders</c>.</value>
    public string Path => _value is null ? string.Empty : _value[_pathStart..];

    /// <summary>Gets the SPIFFE ID of the trust domain itself (<c>spiffe://trust-domain</c>).</summary>
    /// <value>The trust domain's own ID.</value>
    public string TrustDomainId => _value is null ? string.Empty : _value[.._pathStart];

    /// <summary>Gets a value indicating whether this is the default (empty) value.</summary>
    /// <value><see langword="true"/> for <c>default(SpiffeId)</c>.</value>
    public bool IsEmpty => _value is null;

    /// <summary>Parses a SPIFFE ID.</summary>
    /// <param name="value">The text to parse.</param>
    /// <returns>The parsed ID.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is not a valid SPIFFE ID; the message says which rule it breaks.</exception>
    public static SpiffeId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var id, out var error)
            ? id
            : throw new FormatException($"'{Truncate(value)}' is not a valid SPIFFE ID: {error}");
    }

    /// <summary>Tries to parse a SPIFFE ID.</summary>
    /// <param name="value">The text to parse.</param>
    /// <param name="id">The parsed ID when this method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="value"/> is a valid SPIFFE ID.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out SpiffeId id) => TryParse(value, out id, out _);

    /// <summary>Tries to parse a SPIFFE ID and says precisely why it is not valid.</summary>
    /// <param name="value">The text to parse.</param>
    /// <param name="id">The parsed ID when this method returns <see langword="true"/>.</param>
    /// <param name="error">The rule the text breaks when this method returns <see langword="false"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="value"/> is a valid SPIFFE ID.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out SpiffeId id, [NotNullWhen(false)] out string? error)
    {
        id = default;
        error = Validate(value, out var pathStart);
        if (error is not null)
        {
            return false;
        }

        id = new SpiffeId(value!, pathStart);
        return true;
    }

    /// <summary>Determines whether this ID belongs to the given trust domain.</summary>
    /// <param name="trustDomain">A trust domain name (<c>example.org</c>) or trust domain ID (<c>spiffe://example.org</c>).</param>
    /// <returns><see langword="true"/> when the trust domains are equal.</returns>
    public bool IsMemberOf(string trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        if (_value is null)
        {
            return false;
        }

        var name = trustDomain.StartsWith(SchemePrefix, StringComparison.Ordinal) ? trustDomain[SchemePrefix.Length..] : trustDomain;
        return string.Equals(TrustDomain, name, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => _value ?? string.Empty;

    /// <inheritdoc/>
    public bool Equals(SpiffeId other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SpiffeId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>Compares two IDs for equality.</summary>
    /// <param name="left">The first ID.</param>
    /// <param name="right">The second ID.</param>
    /// <returns><see langword="true"/> when the IDs are equal.</returns>
    public static bool operator ==(SpiffeId left, SpiffeId right) => left.Equals(right);

    /// <summary>Compares two IDs for inequality.</summary>
    /// <param name="left">The first ID.</param>
    /// <param name="right">The second ID.</param>
    /// <returns><see langword="true"/> when the IDs differ.</returns>
    public static bool operator !=(SpiffeId left, SpiffeId right) => !left.Equals(right);

    internal static string? ValidateTrustDomainName(string name)
    {
        if (name.Length == 0)
        {
            return "the trust domain is missing.";
        }

        foreach (var c in name)
        {
            if (!IsTrustDomainChar(c))
            {
                return DescribeBadTrustDomainChar(c);
            }
        }

        return name.Length > MaxTrustDomainLength ? TrustDomainTooLong : null;
    }

    private static string? Validate(string? value, out int pathStart)
    {
        pathStart = 0;
        if (string.IsNullOrEmpty(value))
        {
            return "the value is empty.";
        }

        if (System.Text.Encoding.UTF8.GetByteCount(value) > MaxLength)
        {
            return $"it is longer than {MaxLength} bytes.";
        }

        if (!value.StartsWith(SchemePrefix, StringComparison.Ordinal))
        {
            return value.StartsWith(SchemePrefix, StringComparison.OrdinalIgnoreCase)
                ? "the scheme must be lowercase 'spiffe://'."
                : "the scheme must be 'spiffe://'.";
        }

        var i = SchemePrefix.Length;
        var tdStart = i;
        for (; i < value.Length && value[i] != '/'; i++)
        {
            var c = value[i];
            if (!IsTrustDomainChar(c))
            {
                return DescribeBadTrustDomainChar(c);
            }
        }

        if (i == tdStart)
        {
            return "the trust domain is missing.";
        }

        if (i - tdStart > MaxTrustDomainLength)
        {
            return TrustDomainTooLong;
        }

        pathStart = i;
        if (i == value.Length)
        {
            return null;
        }

        // Path: one or more "/segment".
        while (i < value.Length)
        {
            // value[i] == '/'
            var segStart = ++i;
            for (; i < value.Length && value[i] != '/'; i++)
            {
                var c = value[i];
                if (!IsPathChar(c))
                {
                    return c switch
                    {
                        '?' => "a SPIFFE ID cannot contain a query.",
                        '#' => "a SPIFFE ID cannot contain a fragment.",
                        '%' => "path segments cannot contain percent-encoded characters.",
                        _ => $"path segments can contain only letters, digits, '.', '-' and '_' (found '{Printable(c)}').",
                    };
                }
            }

            var length = i - segStart;
            if (length == 0)
            {
                return segStart == value.Length ? "the path cannot have a trailing slash." : "the path cannot contain empty segments.";
            }

            if ((length == 1 && value[segStart] == '.') || (length == 2 && value[segStart] == '.' && value[segStart + 1] == '.'))
            {
                return "the path cannot contain '.' or '..' segments.";
            }
        }

        return null;
    }

    private static string TrustDomainTooLong => $"the trust domain is longer than {MaxTrustDomainLength} bytes.";

    private static string DescribeBadTrustDomainChar(char c) => c switch
    {
        ':' => "the trust domain cannot contain a port.",
        '@' => "a SPIFFE ID cannot contain user info.",
        '?' => "a SPIFFE ID cannot contain a query.",
        '#' => "a SPIFFE ID cannot contain a fragment.",
        >= 'A' and <= 'Z' => "the trust domain can contain only lowercase letters, digits, '.', '-' and '_' (found an uppercase letter).",
        _ => $"the trust domain can contain only lowercase letters, digits, '.', '-' and '_' (found '{Printable(c)}').",
    };

    private static bool IsTrustDomainChar(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_';

    private static bool IsPathChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_';

    private static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : c.ToString();

    private static string Truncate(string value) => value.Length <= 256 ? value : string.Concat(value.AsSpan(0, 256), "…");
}
