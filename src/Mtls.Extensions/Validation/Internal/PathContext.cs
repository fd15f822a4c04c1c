namespace Mtls.Extensions.Validation.Internal;

/// <summary>One candidate path and what it is judged against.</summary>
internal sealed class PathContext(ParsedCertificate[] path, PeerRole role, PeerValidationOptions options, DateTimeOffset now)
{
    /// <summary>Gets the path: the leaf first, the pinned anchor last.</summary>
    public ParsedCertificate[] Path { get; } = path;
    public PeerRole Role { get; } = role;
    public PeerValidationOptions Options { get; } = options;
    public DateTimeOffset Now { get; } = now;
    public int AnchorIndex => Path.Length - 1;
    public ParsedCertificate Leaf => Path[0];

    /// <summary>Names certificate <paramref name="index"/> of the path for a sentence.</summary>
    public string Describe(int index) =>
        index == 0 ? "the leaf" : index == AnchorIndex ? $"the pinned CA {Path[index].SubjectText}" : $"the intermediate {Path[index].SubjectText}";

    /// <summary>Whether certificate <paramref name="index"/> is self-signed: the self-issued anchor (a root), or a self-issued leaf.</summary>
    public bool IsSelfSigned(int index) => Path[index].IsSelfIssued && (index == AnchorIndex || Path.Length == 1);
}

/// <summary>A rule broken by a path: its reason code and the rest of the sentence ("{certificate} {text}").</summary>
internal readonly record struct Violation(MtlsRejectionReason Reason, string Text);
