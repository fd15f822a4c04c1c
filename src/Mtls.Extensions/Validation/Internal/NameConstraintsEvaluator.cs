using System.Formats.Asn1;

namespace Mtls.Extensions.Validation.Internal;

/// <summary>
/// RFC 5280 §4.2.1.10 / §6.1.3 (b)-(c) evaluated by the library over a certificate's SANs and subject (never its CN):
/// dNSName, iPAddress, uniformResourceIdentifier (its host; SPIFFE trust domains included), rfc822Name and directoryName.
/// A wildcard DNS SAN stands for every name it can match: it must be permitted as a whole and may not reach into an
/// excluded subtree.
/// </summary>
internal static class NameConstraintsEvaluator
{
    /// <summary>
    /// The most name-against-subtree comparisons one path may need (names of each constrained certificate × subtrees of
    /// each constraining CA, summed over the path). Go and webpki bound this work too; past it the path is refused before
    /// any comparison is made.
    /// </summary>
    public const int ComparisonBudget = 1 << 16;

    private static readonly System.Buffers.SearchValues<char> MailboxForbidden = System.Buffers.SearchValues.Create(" \t\r\n\"(),:;<>[]\\");

    /// <summary>How many comparisons judging <paramref name="certificate"/> against <paramref name="constraints"/> costs.</summary>
    public static long Cost(NameConstraintsInfo constraints, ParsedCertificate certificate) =>
        (long)((certificate.SubjectAltNames?.Count ?? 0) + 1) * ((constraints.Permitted?.Count ?? 0) + (constraints.Excluded?.Count ?? 0));

    /// <summary>Returns why the constraints themselves are unusable, or <see langword="null"/>.</summary>
    public static string? ConstraintsProblem(NameConstraintsInfo constraints)
    {
        foreach (var subtree in Concat(constraints))
        {
            if (subtree.HasMinimumOrMaximum)
            {
                return "a subtree with minimum or maximum set (RFC 5280 §4.2.1.10: MUST be absent)";
            }

            var name = subtree.Base;
            switch (name.Tag)
            {
                case GeneralName.Dns when DnsNameSyntax.ConstraintProblem(name.Text!) is { } problem:
                    return $"the dNSName constraint '{name.Text}' has {problem}";
                case GeneralName.Ip when name.Bytes.Length is not (8 or 32) || !ContiguousMask(name.Bytes.Span[(name.Bytes.Length / 2)..]):
                    return $"the iPAddress constraint {Convert.ToHexString(name.Bytes.Span)} is not an address and a contiguous mask";
                case GeneralName.Uri when name.Text!.Contains("://", StringComparison.Ordinal) || (name.Text.Length > 0 && DnsNameSyntax.ConstraintProblem(name.Text) is not null):
                    return $"the URI constraint '{name.Text}' is not a host or domain";
                case GeneralName.Rfc822 when name.Text!.Length == 0 || name.Text.Count(c => c == '@') > 1:
                    return $"the rfc822Name constraint '{name.Text}' is not a mailbox, host or domain";
            }
        }

        return null;
    }

    /// <summary>Returns which name of <paramref name="certificate"/> the constraints refuse, or <see langword="null"/>.</summary>
    public static string? Violation(NameConstraintsInfo constraints, ParsedCertificate certificate, bool checkSubject)
    {
        if (checkSubject && !certificate.SubjectEmpty)
        {
            var subject = new GeneralName(GeneralName.Directory, null, certificate.Subject);
            var verdict = Judge(constraints, subject, certificate.SubjectText);
            if (verdict is not null)
            {
                return verdict;
            }
        }

        foreach (var name in certificate.SubjectAltNames ?? [])
        {
            if (name.Tag == GeneralName.Dns && DnsNameSyntax.Problem(name.Text!) is { } syntax)
            {
                return $"the DNS SAN '{name.Text}' under name constraints has {syntax}";
            }

            var verdict = Judge(constraints, name, name.ToString());
            if (verdict is not null)
            {
                return verdict;
            }
        }

        return null;
    }

    private static string? Judge(NameConstraintsInfo constraints, GeneralName name, string display)
    {
        var tagName = GeneralName.TagName(name.Tag);
        foreach (var subtree in constraints.Excluded ?? [])
        {
            if (subtree.Base.Tag == name.Tag && Within(name, subtree.Base, excluded: true) != false)
            {
                return $"the {tagName} '{display}' is inside the excluded subtree '{subtree.Base}'";
            }
        }

        var permittedOfType = false;
        foreach (var subtree in constraints.Permitted ?? [])
        {
            if (subtree.Base.Tag != name.Tag)
            {
                continue;
            }

            permittedOfType = true;
            if (Within(name, subtree.Base, excluded: false) == true)
            {
                return null;
            }
        }

        return permittedOfType ? $"the {tagName} '{display}' is outside every permitted subtree" : null;
    }

    /// <summary>Whether the name lies in the subtree; <see langword="null"/> when it cannot be judged (refused either way).</summary>
    private static bool? Within(GeneralName name, GeneralName constraint, bool excluded) => name.Tag switch
    {
        GeneralName.Dns => DnsWithin(name.Text!, constraint.Text!, excluded),
        GeneralName.Ip => IpWithin(name.Bytes.Span, constraint.Bytes.Span),
        GeneralName.Uri => UriWithin(name.Text!, constraint.Text!),
        GeneralName.Rfc822 => MailWithin(name.Text!, constraint.Text!),
        GeneralName.Directory => DirectoryWithin(name.Bytes, constraint.Bytes),
        _ => null,
    };

    private static bool DnsWithin(string name, string constraint, bool excluded)
    {
        name = name.ToLowerInvariant().TrimEnd('.');
        constraint = constraint.ToLowerInvariant();
        if (constraint.Length == 0)
        {
            return true;
        }

        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            var parent = name[2..];
            // Every name the wildcard stands for is "<label>.parent": all inside when parent is inside (a subdomain
            // then); for an exclusion, also when the excluded base is exactly one label below parent.
            if (HostUnder(parent, constraint, allowEqual: !constraint.StartsWith('.')) || (constraint.StartsWith('.') && parent == constraint[1..]))
            {
                return true;
            }

            if (excluded)
            {
                var bare = constraint.TrimStart('.');
                var dot = bare.IndexOf('.', StringComparison.Ordinal);
                return dot > 0 && bare[(dot + 1)..] == parent;
            }

            return false;
        }

        return HostUnder(name, constraint, allowEqual: !constraint.StartsWith('.'));
    }

    /// <summary>"example.com" holds example.com and its subdomains; ".example.com" only the subdomains.</summary>
    private static bool HostUnder(string host, string constraint, bool allowEqual)
    {
        if (constraint.StartsWith('.'))
        {
            return host.EndsWith(constraint, StringComparison.Ordinal);
        }

        return (allowEqual && host == constraint) || host.EndsWith("." + constraint, StringComparison.Ordinal);
    }

    private static bool? IpWithin(ReadOnlySpan<byte> address, ReadOnlySpan<byte> constraint)
    {
        if (address.Length * 2 != constraint.Length)
        {
            return false; // IPv4 and IPv6 never match each other
        }

        var network = constraint[..address.Length];
        var mask = constraint[address.Length..];
        for (var i = 0; i < address.Length; i++)
        {
            if ((address[i] & mask[i]) != (network[i] & mask[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool? UriWithin(string uri, string constraint)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.IdnHost) || parsed.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            return null; // a URI without a host name cannot be judged against a host constraint: refused
        }

        var host = parsed.IdnHost.ToLowerInvariant();
        if (host.EndsWith('.'))
        {
            return null; // spiffe://example.org./… is no way around an excluded example.org: an invalid name, refused
        }

        constraint = constraint.ToLowerInvariant();
        return constraint.StartsWith('.') ? host.EndsWith(constraint, StringComparison.Ordinal) : host == constraint;
    }

    private static bool? MailWithin(string mailbox, string constraint)
    {
        // RFC 5280 §4.2.1.6/§4.2.1.10: an rfc822Name is a Mailbox (local-part@domain); anything else cannot be judged
        // against a constraint and is refused (invalid@address@example.com is not a mailbox at example.com).
        var at = mailbox.LastIndexOf('@');
        if (at <= 0 || at == mailbox.Length - 1 || mailbox.IndexOf('@', StringComparison.Ordinal) != at
            || mailbox.AsSpan(0, at).ContainsAny(MailboxForbidden) || mailbox.EndsWith('.') || DnsNameSyntax.Problem(mailbox[(at + 1)..]) is not null)
        {
            return null;
        }

        var host = mailbox[(at + 1)..].ToLowerInvariant();
        constraint = constraint.ToLowerInvariant();
        var constraintAt = constraint.IndexOf('@', StringComparison.Ordinal);
        if (constraintAt >= 0)
        {
            return mailbox[..at] == constraint[..constraintAt] && host == constraint[(constraintAt + 1)..];
        }

        return constraint.StartsWith('.') ? host.EndsWith(constraint, StringComparison.Ordinal) : host == constraint;
    }

    private static bool? DirectoryWithin(ReadOnlyMemory<byte> name, ReadOnlyMemory<byte> constraint)
    {
        var nameRdns = Rdns(name);
        var constraintRdns = Rdns(constraint);
        if (nameRdns is null || constraintRdns is null)
        {
            return null;
        }

        if (constraintRdns.Count > nameRdns.Count)
        {
            return false;
        }

        for (var i = 0; i < constraintRdns.Count; i++)
        {
            if (!constraintRdns[i].Span.SequenceEqual(nameRdns[i].Span))
            {
                return false;
            }
        }

        return true;
    }

    private static List<ReadOnlyMemory<byte>>? Rdns(ReadOnlyMemory<byte> name)
    {
        try
        {
            var sequence = new AsnReader(name, AsnEncodingRules.DER).ReadSequence();
            var list = new List<ReadOnlyMemory<byte>>();
            while (sequence.HasData)
            {
                list.Add(sequence.ReadEncodedValue());
            }

            return list;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static bool ContiguousMask(ReadOnlySpan<byte> mask)
    {
        var zeroSeen = false;
        foreach (var b in mask)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                var set = (b & (1 << bit)) != 0;
                if (set && zeroSeen)
                {
                    return false;
                }

                zeroSeen |= !set;
            }
        }

        return true;
    }

    private static IEnumerable<GeneralSubtree> Concat(NameConstraintsInfo constraints) =>
        (constraints.Permitted ?? []).Concat(constraints.Excluded ?? []);
}
