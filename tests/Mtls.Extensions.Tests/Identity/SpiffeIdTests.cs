namespace Mtls.Extensions.Tests;

/// <summary>
/// <see cref="SpiffeId"/> against the SPIFFE ID specification (spiffe/spiffe standards/SPIFFE-ID.md): the <c>spiffe</c>
/// scheme, a non-empty trust domain of lowercase letters, digits, '.', '-' and '_' (at most 255 bytes), no user info,
/// port, query or fragment, path segments of letters, digits, '.', '-' and '_' without empty, '.' or '..' segments,
/// percent-encoding or a trailing slash, and at most 2048 bytes in all.
/// </summary>
public sealed class SpiffeIdTests
{
    [Theory]
    [InlineData("spiffe://example.org", "example.org", "")]
    [InlineData("spiffe://example.org/ns/prod/sa/orders", "example.org", "/ns/prod/sa/orders")]
    [InlineData("spiffe://k8s-west_1.example.com/Payments/web-FE.v2", "k8s-west_1.example.com", "/Payments/web-FE.v2")]
    [InlineData("spiffe://1.2.3.4/9eebccd2-12bf-40a6-b262-65fe0487d453", "1.2.3.4", "/9eebccd2-12bf-40a6-b262-65fe0487d453")]
    [InlineData("spiffe://example.org/...", "example.org", "/...")]
    public void SpiffeId_ParseValidId_SplitsTrustDomainAndPath(string value, string trustDomain, string path)
    {
        var id = SpiffeId.Parse(value);

        Assert.Equal(trustDomain, id.TrustDomain);
        Assert.Equal(path, id.Path);
        Assert.Equal("spiffe://" + trustDomain, id.TrustDomainId);
        Assert.Equal(value, id.ToString());
        Assert.False(id.IsEmpty);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("example.org/ns/prod", "scheme must be 'spiffe://'")]
    [InlineData("https://example.org/ns/prod", "scheme must be 'spiffe://'")]
    [InlineData("spiffe:example.org/ns/prod", "scheme must be 'spiffe://'")]
    [InlineData("SPIFFE://example.org/ns/prod", "scheme must be lowercase")]
    [InlineData("spiffe://", "trust domain is missing")]
    [InlineData("spiffe:///ns/prod", "trust domain is missing")]
    [InlineData("spiffe://Example.org/ns/prod", "uppercase letter")]
    [InlineData("spiffe://example.org:8443/ns/prod", "port")]
    [InlineData("spiffe://admin@example.org/ns/prod", "user info")]
    [InlineData("spiffe://example.org?x=1", "query")]
    [InlineData("spiffe://example.org/ns/prod?x=1", "query")]
    [InlineData("spiffe://example.org#frag", "fragment")]
    [InlineData("spiffe://example.org/ns/prod#frag", "fragment")]
    [InlineData("spiffe://exa%6dple.org/ns", "trust domain can contain only")]
    [InlineData("spiffe://exa mple.org/ns", "trust domain can contain only")]
    [InlineData("spiffe://example.org/", "trailing slash")]
    [InlineData("spiffe://example.org/ns/prod/", "trailing slash")]
    [InlineData("spiffe://example.org//ns", "empty segments")]
    [InlineData("spiffe://example.org/ns//prod", "empty segments")]
    [InlineData("spiffe://example.org/./ns", "'.' or '..' segments")]
    [InlineData("spiffe://example.org/ns/..", "'.' or '..' segments")]
    [InlineData("spiffe://example.org/ns/../admin", "'.' or '..' segments")]
    [InlineData("spiffe://example.org/ns%2Fprod", "percent-encoded")]
    [InlineData("spiffe://example.org/ns prod", "U+0020")]
    [InlineData("spiffe://example.org/ns\nprod", "U+000A")]
    [InlineData("spiffe://example.org/caf\u00e9", "only letters, digits")]
    [InlineData("spiffe://example.org/ns:prod", "only letters, digits")]
    public void SpiffeId_TryParseBreaksARule_FalseWithTheRule(string value, string rule)
    {
        Assert.False(SpiffeId.TryParse(value, out var id, out var error));

        Assert.Contains(rule, error, StringComparison.Ordinal);
        Assert.True(id.IsEmpty);
        var thrown = Assert.Throws<FormatException>(() => SpiffeId.Parse(value));
        Assert.Contains(rule, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpiffeId_TrustDomainLength_ValidUpTo255Bytes()
    {
        var longest = new string('a', 251) + ".org";
        Assert.True(SpiffeId.TryParse($"spiffe://{longest}/ns", out var id));
        Assert.Equal(255, id.TrustDomain.Length);

        Assert.False(SpiffeId.TryParse($"spiffe://a{longest}/ns", out _, out var error));
        Assert.Contains("longer than 255 bytes", error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => PeerIdentityPattern.ForTrustDomain("a" + longest));
    }

    [Fact]
    public void SpiffeId_TotalLength_ValidUpTo2048Bytes()
    {
        var prefix = "spiffe://example.org/";
        var longest = prefix + new string('p', SpiffeId.MaxLength - prefix.Length);
        Assert.Equal(2048, longest.Length);
        Assert.True(SpiffeId.TryParse(longest, out _));

        Assert.False(SpiffeId.TryParse(longest + "p", out _, out var error));
        Assert.Contains("longer than 2048 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SpiffeId_ParseOfAVeryLongValue_MessageTruncated()
    {
        var value = "spiffe://example.org/" + new string('x', 5000);

        var error = Assert.Throws<FormatException>(() => SpiffeId.Parse(value));

        Assert.True(error.Message.Length < 400, $"the message is {error.Message.Length} characters long");
        Assert.Contains("…", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpiffeId_NullInput_ParseThrowsTryParseFalse()
    {
        Assert.Throws<ArgumentNullException>(() => SpiffeId.Parse(null!));
        Assert.False(SpiffeId.TryParse(null, out _));
        Assert.False(SpiffeId.TryParse(null, out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("example.org", true)]
    [InlineData("spiffe://example.org", true)]
    [InlineData("example.com", false)]
    [InlineData("example.org.evil", false)]
    [InlineData("org", false)]
    [InlineData("EXAMPLE.org", false)]
    public void SpiffeId_IsMemberOf_ComparesTheWholeTrustDomain(string trustDomain, bool expected)
    {
        Assert.Equal(expected, SpiffeId.Parse("spiffe://example.org/ns/prod").IsMemberOf(trustDomain));
    }

    [Fact]
    public void SpiffeId_Default_IsEmptyAndMemberOfNothing()
    {
        var id = default(SpiffeId);

        Assert.True(id.IsEmpty);
        Assert.Equal(string.Empty, id.ToString());
        Assert.Equal(string.Empty, id.TrustDomain);
        Assert.Equal(string.Empty, id.Path);
        Assert.False(id.IsMemberOf("example.org"));
        Assert.Equal(default, id);
    }

    [Fact]
    public void SpiffeId_Equality_OrdinalAndPathCaseSensitive()
    {
        var a = SpiffeId.Parse("spiffe://example.org/ns/prod");
        var b = SpiffeId.Parse("spiffe://example.org/ns/prod");
        var upper = SpiffeId.Parse("spiffe://example.org/ns/Prod");

        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.Equals((object)b));
        Assert.True(a != upper);
        Assert.NotEqual(a, upper);
        Assert.NotEqual(a, SpiffeId.Parse("spiffe://example.org"));
    }

    [Theory]
    [InlineData("spiffe://example.org:/ns", "port")]
    [InlineData("spiffe://example.org:", "port")]
    [InlineData("spiffe://@example.org/ns", "user info")]
    [InlineData("spiffe://[::1]/ns", "trust domain can contain only")]
    [InlineData("spiffe://*.example.org/ns", "trust domain can contain only")]
    [InlineData("spiffe://ex\u0130mple.org/ns", "trust domain can contain only")]
    [InlineData("spiffe://example.org?", "query")]
    [InlineData("spiffe://example.org/ns?", "query")]
    [InlineData("spiffe://example.org/ns#", "fragment")]
    [InlineData("spiffe:/example.org/ns", "scheme must be 'spiffe://'")]
    [InlineData("spiffe//example.org/ns", "scheme must be 'spiffe://'")]
    [InlineData(" spiffe://example.org/ns", "scheme must be 'spiffe://'")]
    [InlineData("Spiffe://example.org/ns", "scheme must be lowercase")]
    [InlineData("spiffe://example.org/ns ", "U+0020")]
    [InlineData("spiffe://example.org/ns\\prod", "only letters, digits")]
    [InlineData("spiffe://example.org/ns/*", "only letters, digits")]
    [InlineData("spiffe://example.org/%41", "percent-encoded")]
    [InlineData("spiffe://example.org/ns/%2e%2e", "percent-encoded")]
    [InlineData("spiffe://example.org/.", "'.' or '..' segments")]
    [InlineData("spiffe://example.org/..", "'.' or '..' segments")]
    [InlineData("spiffe://example.org/ns/prod/.", "'.' or '..' segments")]
    [InlineData("spiffe://example.org//", "empty segments")]
    public void SpiffeId_TryParseEdgeOfARule_FalseWithTheRule(string value, string rule)
    {
        Assert.False(SpiffeId.TryParse(value, out var id, out var error));

        Assert.Contains(rule, error, StringComparison.Ordinal);
        Assert.True(id.IsEmpty);
        Assert.Throws<FormatException>(() => SpiffeId.Parse(value));
    }

    [Theory]
    [InlineData("spiffe://a/b", "a", "/b")]
    [InlineData("spiffe://xn--caf-dma.example/ns", "xn--caf-dma.example", "/ns")]
    [InlineData("spiffe://example.org/.hidden", "example.org", "/.hidden")]
    [InlineData("spiffe://example.org/a..b/prod..", "example.org", "/a..b/prod..")]
    [InlineData("spiffe://example.org/-/_/9", "example.org", "/-/_/9")]
    [InlineData("spiffe://example.org/NS/Prod", "example.org", "/NS/Prod")]
    public void SpiffeId_ParseEdgeOfARule_Valid(string value, string trustDomain, string path)
    {
        var id = SpiffeId.Parse(value);

        Assert.Equal(trustDomain, id.TrustDomain);
        Assert.Equal(path, id.Path);
        Assert.Equal(value, id.ToString());
    }

    [Fact]
    public void SpiffeId_MaximumLength_CountedInUtf8BytesNotCharacters()
    {
        var prefix = "spiffe://example.org/";
        var twoByteCharacters = prefix + new string('\u00e9', (SpiffeId.MaxLength - prefix.Length + 1) / 2);
        Assert.True(twoByteCharacters.Length < SpiffeId.MaxLength);

        Assert.False(SpiffeId.TryParse(twoByteCharacters, out _, out var error));
        Assert.Contains("longer than 2048 bytes", error, StringComparison.Ordinal);

        Assert.False(SpiffeId.TryParse(twoByteCharacters[..^1], out _, out var withinLength));
        Assert.Contains("only letters, digits", withinLength, StringComparison.Ordinal);
    }
}
