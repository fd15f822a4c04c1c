using System.Globalization;
using System.Text;

namespace Mtls.Extensions;

/// <summary>
/// Makes text a peer controls (certificate subjects and issuers, SANs, SPIFFE IDs, platform error messages) safe
/// for a log line, an exception message, health data or a metric tag: control, format and bidirectional characters
/// (CR, LF, ESC, NUL, U+202E, U+2028...) and unpaired surrogates become <c>\uXXXX</c>, and the length is capped,
/// so that a peer can neither forge log lines nor flood a sink. Every sink of this library uses it; use it in your
/// own event handlers when you log a peer's names.
/// </summary>
/// <remarks>
/// Backslashes are kept as they are, so escaping is idempotent: text that already went through
/// <see cref="Escape(string?, int)"/> is returned unchanged.
/// </remarks>
public static class PeerText
{
    /// <summary>The default cap for one peer-controlled value (a subject, a SAN).</summary>
    public const int DefaultMaxLength = 256;

    /// <summary>The cap for a whole sentence that embeds peer-controlled values (a rejection message).</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>Escapes control, format and bidirectional characters as <c>\uXXXX</c> and caps the length.</summary>
    /// <param name="value">The peer-controlled text; <see langword="null"/> gives an empty string.</param>
    /// <param name="maxLength">The longest result, in characters, before the marker that says how much was cut.</param>
    /// <returns>The text, unchanged when it needed nothing (no allocation).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 16.</exception>
    public static string Escape(string? value, int maxLength = DefaultMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 16);
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value.Length <= maxLength && !NeedsEscaping(value))
        {
            return value;
        }

        var builder = new StringBuilder(Math.Min(value.Length, maxLength) + 24);
        var i = 0;
        while (i < value.Length)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (builder.Length + 2 > maxLength)
                {
                    break;
                }

                builder.Append(c).Append(value[i + 1]);
                i += 2;
                continue;
            }

            if (MustEscape(c))
            {
                if (builder.Length + 6 > maxLength)
                {
                    break;
                }

                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                if (builder.Length + 1 > maxLength)
                {
                    break;
                }

                builder.Append(c);
            }

            i++;
        }

        if (i < value.Length)
        {
            builder.Append("…(+").Append((value.Length - i).ToString(CultureInfo.InvariantCulture)).Append(" chars)");
        }

        return builder.ToString();
    }

    private static bool NeedsEscaping(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (MustEscape(c))
            {
                return true;
            }
        }

        return false;
    }

    // Cc (C0, DEL, C1), Cf (bidi embeddings/overrides/isolates, LRM/RLM, ALM, zero-width characters, BOM),
    // the line and paragraph separators, and surrogates not part of a pair (a valid pair is handled by the caller).
    private static bool MustEscape(char c)
    {
        if (c < 0x20 || c == 0x7F)
        {
            return true;
        }

        if (c < 0x80)
        {
            return false;
        }

        return char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }
}
