namespace Mtls.Extensions.Validation.Internal;

/// <summary>RFC 1034 §3.5 preferred name syntax (RFC 5280 §4.2.1.6) for DNS SANs, with the CA/B BR wildcard rules.</summary>
internal static class DnsNameSyntax
{
    /// <summary>Returns why <paramref name="name"/> is not a valid DNS SAN, or <see langword="null"/>.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "an empty DNS name";
        }

        if (name.Length > 253)
        {
            return "a DNS name longer than 253 characters";
        }

        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label.Length == 0)
            {
                return "an empty label";
            }

            if (label == "*")
            {
                if (i != 0)
                {
                    return "a wildcard that is not the leftmost label";
                }

                if (labels.Length < 3)
                {
                    return "a wildcard directly above a single label";
                }

                continue;
            }

            var problem = LabelProblem(label);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>A name constraint's DNS base: like a name, but may start with one dot and holds no wildcard.</summary>
    public static string? ConstraintProblem(string name)
    {
        if (name.Length == 0)
        {
            return null; // an empty dNSName constraint means every name (RFC 5280 §4.2.1.10)
        }

        var body = name[0] == '.' ? name[1..] : name;
        if (body.Contains('*', StringComparison.Ordinal))
        {
            return "a wildcard in a DNS name constraint";
        }

        return Problem(body);
    }

    private static string? LabelProblem(string label)
    {
        if (label.Length > 63)
        {
            return $"the label '{label[..16]}…' is longer than 63 characters";
        }

        foreach (var c in label)
        {
            if (c == '*')
            {
                return "a partial wildcard label";
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return c == '_' ? "an underscore" : "a character outside letters, digits and hyphens";
            }
        }

        return label[0] == '-' || label[^1] == '-' ? "a label that starts or ends with a hyphen" : null;
    }
}
