using System.Net;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

/// <summary><see cref="PeerIdentityPattern"/>: the configuration forms it parses and what each kind matches.</summary>
public sealed class PeerIdentityPatternTests : IDisposable
{
    private readonly TestCertificateAuthority _root = TestPki.CreateRoot("Pattern Root");

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("spiffe://example.org/ns/prod/sa/orders", PeerIdentityPatternKind.SpiffeId, "spiffe://example.org/ns/prod/sa/orders")]
    [InlineData("spiffe://example.org", PeerIdentityPatternKind.TrustDomain, "example.org")]
    [InlineData("spiffe://example.org/ns/prod/*", PeerIdentityPatternKind.SpiffeIdPathPrefix, "spiffe://example.org/ns/prod")]
    [InlineData("10.0.0.7", PeerIdentityPatternKind.IpAddress, "10.0.0.7")]
    [InlineData("0:0:0:0:0:0:0:1", PeerIdentityPatternKind.IpAddress, "::1")]
    [InlineData("Inventory.Example.COM", PeerIdentityPatternKind.DnsName, "inventory.example.com")]
    [InlineData("*.example.com", PeerIdentityPatternKind.DnsName, "*.example.com")]
    [InlineData("  spiffe://example.org/ns/prod  ", PeerIdentityPatternKind.SpiffeId, "spiffe://example.org/ns/prod")]
    public void PeerIdentityPattern_ParseConfigurationForm_KindAndNormalizedValue(string text, PeerIdentityPatternKind kind, string value)
    {
        var pattern = PeerIdentityPattern.Parse(text);

        Assert.Equal(kind, pattern.Kind);
        Assert.Equal(value, pattern.Value);
    }

    [Theory]
    [InlineData("", "cannot be empty")]
    [InlineData("   ", "cannot be empty")]
    [InlineData("spiffe://example.org/*", "no path")]
    [InlineData("spiffe://example.org/ns/*/x", "not a valid SPIFFE ID")]
    [InlineData("spiffe://Example.org/ns", "uppercase letter")]
    [InlineData("spiffe://example.org/ns/", "trailing slash")]
    [InlineData("SPIFFE://example.org/ns", "scheme must be lowercase")]
    [InlineData("not a host!", "neither a SPIFFE ID")]
    public void PeerIdentityPattern_TryParseInvalid_FalseWithReason(string text, string reason)
    {
        Assert.False(PeerIdentityPattern.TryParse(text, out var pattern, out var error));

        Assert.Null(pattern);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => PeerIdentityPattern.Parse(text));
    }

    [Theory]
    [InlineData("spiffe://example.org/ns/prod/sa/orders", true)]
    [InlineData("spiffe://example.org/ns/prod/sa/orders2", false)]
    [InlineData("spiffe://example.org/ns/prod/sa/Orders", false)]
    [InlineData("spiffe://example.org", true)]
    [InlineData("spiffe://example.com", false)]
    [InlineData("spiffe://org", false)]
    [InlineData("spiffe://example.org/ns/prod/*", true)]
    [InlineData("spiffe://example.org/ns/prod/sa/*", true)]
    [InlineData("spiffe://example.org/ns/pro/*", false)]
    [InlineData("spiffe://example.org/ns/prod/sa/orders/*", true)]
    [InlineData("spiffe://example.org/ns/staging/*", false)]
    [InlineData("spiffe://other.org/ns/prod/*", false)]
    public void PeerIdentityPattern_SpiffeForms_MatchTheSpiffeIdOnly(string pattern, bool expected)
    {
        using var leaf = _root.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");

        Assert.Equal(expected, PeerIdentityPattern.Parse(pattern).Matches(PeerIdentity.FromCertificate(leaf.Certificate)));
    }

    [Fact]
    public void PeerIdentityPattern_PathPrefix_MatchesAtSegmentBoundaryNotStringPrefix()
    {
        using var production = _root.IssueClient("orders", "spiffe://example.org/ns/production/sa/orders");
        using var exact = _root.IssueClient("prod", "spiffe://example.org/ns/prod");
        var prefix = PeerIdentityPattern.Parse("spiffe://example.org/ns/prod/*");

        Assert.False(prefix.Matches(PeerIdentity.FromCertificate(production.Certificate)));
        Assert.True(prefix.Matches(PeerIdentity.FromCertificate(exact.Certificate)));
    }

    [Fact]
    public void PeerIdentityPattern_SpiffeFormsCertificateWithoutSpiffeId_NoMatch()
    {
        using var leaf = _root.IssueLocalhostServer("example.org");
        var identity = PeerIdentity.FromCertificate(leaf.Certificate);

        Assert.False(PeerIdentityPattern.Parse("spiffe://example.org").Matches(identity));
        Assert.False(PeerIdentityPattern.Parse("spiffe://example.org/ns/*").Matches(identity));
    }

    [Theory]
    [InlineData("inventory.example.com", "inventory.example.com", true)]
    [InlineData("inventory.example.com", "INVENTORY.example.com.", true)]
    [InlineData("*.example.com", "inventory.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("inventory.example.com", "orders.example.com", false)]
    public void PeerIdentityPattern_DnsName_MatchesServerDnsSansWildcardSanOneLabel(string san, string host, bool expected)
    {
        using var leaf = _root.IssueLeaf("leaf", o => o.ForServer().WithDnsNames(san));

        Assert.Equal(expected, PeerIdentityPattern.Parse(host).Matches(PeerIdentity.FromCertificate(leaf.Certificate), PeerRole.Server));
    }

    [Theory]
    [InlineData("inventory.example.com", "inventory.example.com", true)]
    [InlineData("inventory.example.com", "INVENTORY.example.com.", true)]
    [InlineData("*.example.com", "inventory.example.com", false)]
    [InlineData("*.example.com", "*.example.com", true)]
    [InlineData("inventory.example.com", "*.example.com", false)]
    public void PeerIdentityPattern_ClientDnsSan_MatchesLiterallyNeverThroughAWildcard(string san, string entry, bool expected)
    {
        // Whoever holds a shared *.example.com certificate is not orders.example.com; an entry that is itself a pattern
        // matches the same pattern only.
        using var leaf = _root.IssueLeaf("leaf", o => o.ForClient().WithDnsNames(san));
        var identity = PeerIdentity.FromCertificate(leaf.Certificate);

        Assert.Equal(expected, PeerIdentityPattern.Parse(entry).Matches(identity));
        Assert.Equal(expected, PeerIdentityPattern.Parse(entry).Matches(identity, PeerRole.Client));
    }

    [Fact]
    public void PeerIdentityPattern_DnsName_CommonNameNeverMatches()
    {
        using var leaf = _root.IssueLeaf("inventory.example.com", o => o.ForServer().WithDnsNames("other.example.com"));

        Assert.False(PeerIdentityPattern.Parse("inventory.example.com").Matches(PeerIdentity.FromCertificate(leaf.Certificate)));
    }

    [Fact]
    public void PeerIdentityPattern_IpAddress_MatchesIpSansNormalized()
    {
        using var leaf = _root.IssueLocalhostServer("localhost");
        var identity = PeerIdentity.FromCertificate(leaf.Certificate);

        Assert.True(PeerIdentityPattern.Parse("127.0.0.1").Matches(identity));
        Assert.True(PeerIdentityPattern.Parse("0:0:0:0:0:0:0:1").Matches(identity));
        Assert.False(PeerIdentityPattern.Parse("127.0.0.2").Matches(identity));
        using var ipOnly = _root.IssueLeaf("localhost", o => o.WithIpAddresses(IPAddress.Loopback));
        Assert.False(PeerIdentityPattern.Parse("localhost").Matches(PeerIdentity.FromCertificate(ipOnly.Certificate)));
    }

    [Fact]
    public void PeerIdentityPattern_Subject_ExactDistinguishedName()
    {
        using var leaf = _root.IssueClient("orders");
        var identity = PeerIdentity.FromCertificate(leaf.Certificate);

        Assert.True(PeerIdentityPattern.ForSubject(identity.Subject).Matches(identity));
        Assert.False(PeerIdentityPattern.ForSubject("CN=orders2").Matches(identity));
        Assert.StartsWith("subject ", PeerIdentityPattern.ForSubject(identity.Subject).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("spiffe://example.org/ns/prod/sa/orders")]
    [InlineData("spiffe://example.org")]
    [InlineData("spiffe://example.org/ns/prod/*")]
    [InlineData("10.0.0.7")]
    [InlineData("inventory.example.com")]
    public void PeerIdentityPattern_ToString_ParsesBackToAnEqualPattern(string text)
    {
        var pattern = PeerIdentityPattern.Parse(text);

        var again = PeerIdentityPattern.Parse(pattern.ToString());

        Assert.Equal(text, pattern.ToString());
        Assert.Equal(pattern, again);
        Assert.Equal(pattern.GetHashCode(), again.GetHashCode());
    }

    [Fact]
    public void PeerIdentityPattern_Factories_SameAsTheConfigurationForms()
    {
        Assert.Equal(PeerIdentityPattern.Parse("spiffe://example.org"), PeerIdentityPattern.ForTrustDomain("example.org"));
        Assert.Equal(PeerIdentityPattern.Parse("spiffe://example.org"), PeerIdentityPattern.ForTrustDomain("spiffe://example.org"));
        Assert.Equal(PeerIdentityPattern.Parse("spiffe://example.org/ns/prod/*"), PeerIdentityPattern.ForSpiffeIdPathPrefix("spiffe://example.org/ns/prod"));
        Assert.Equal(PeerIdentityPattern.Parse("spiffe://example.org/ns/prod/*"), PeerIdentityPattern.ForSpiffeIdPathPrefix("spiffe://example.org/ns/prod/*"));
        Assert.Equal(PeerIdentityPattern.Parse("spiffe://example.org/ns/x"), PeerIdentityPattern.ForSpiffeId(SpiffeId.Parse("spiffe://example.org/ns/x")));
        Assert.Equal(PeerIdentityPattern.Parse("inventory.example.com"), PeerIdentityPattern.ForDnsName(" Inventory.Example.com "));
        Assert.NotEqual(PeerIdentityPattern.Parse("spiffe://example.org"), PeerIdentityPattern.Parse("spiffe://example.org/ns/prod/*"));
    }

    [Fact]
    public void PeerIdentityPattern_FactoriesInvalidInput_Throws()
    {
        Assert.Throws<FormatException>(() => PeerIdentityPattern.ForTrustDomain("Example.org"));
        Assert.Throws<FormatException>(() => PeerIdentityPattern.ForTrustDomain(string.Empty));
        Assert.Throws<FormatException>(() => PeerIdentityPattern.ForSpiffeIdPathPrefix("spiffe://example.org"));
        Assert.Throws<FormatException>(() => PeerIdentityPattern.ForSpiffeIdPathPrefix("spiffe://example.org/*"));
        Assert.Throws<ArgumentException>(() => PeerIdentityPattern.ForDnsName(" "));
        Assert.Throws<ArgumentException>(() => PeerIdentityPattern.ForSubject(string.Empty));
        Assert.Throws<ArgumentNullException>(() => PeerIdentityPattern.Parse(null!));
    }

    [Theory]
    [InlineData("spiffe://example.org", "spiffe://example.org/x", true)]
    [InlineData("spiffe://example.org", "spiffe://example.org.evil/ns/prod", false)]
    [InlineData("spiffe://example.org", "spiffe://sub.example.org/ns/prod", false)]
    [InlineData("spiffe://example.org/ns/prod", "spiffe://example.org/ns/prod", true)]
    [InlineData("spiffe://example.org/ns/prod", "spiffe://example.org/ns/prod/sa/orders", false)]
    [InlineData("spiffe://example.org/ns/prod/*", "spiffe://example.org/ns/prod/a/b/c/d", true)]
    [InlineData("spiffe://example.org/ns/prod/*", "spiffe://example.org/ns/prod.v2", false)]
    [InlineData("spiffe://example.org/ns/prod/*", "spiffe://example.org/ns/prod-x/y", false)]
    [InlineData("spiffe://example.org/ns/prod/*", "spiffe://example.org/ns/Prod/x", false)]
    [InlineData("spiffe://example.org/ns/prod/*", "spiffe://example.org.evil/ns/prod/x", false)]
    public void PeerIdentityPattern_SpiffeFormsAgainstLookAlikeIds_MatchOnlyTheirOwn(string pattern, string peer, bool expected)
    {
        using var leaf = _root.IssueClient("peer", peer);

        Assert.Equal(expected, PeerIdentityPattern.Parse(pattern).Matches(PeerIdentity.FromCertificate(leaf.Certificate)));
    }

    [Theory]
    [InlineData("spiffe://example.org/ns/prod*", "not a valid SPIFFE ID")]
    [InlineData("spiffe://example.org/ns/prod/**", "not a valid SPIFFE ID")]
    [InlineData("spiffe://example.org/ns/prod//*", "trailing slash")]
    [InlineData("spiffe://example.org/ns/../admin/*", "'.' or '..' segments")]
    [InlineData("spiffe://*", "scheme must be 'spiffe://'")]
    [InlineData("spiffe://*.example.org/ns", "trust domain can contain only")]
    [InlineData("spiffe:example.org", "scheme must be 'spiffe://'")]
    [InlineData("spiffe://example.org:443/ns", "port")]
    [InlineData("spiffe://example.org/ns?x=1", "query")]
    public void PeerIdentityPattern_TryParseMalformedSpiffeForm_FalseWithReason(string text, string reason)
    {
        Assert.False(PeerIdentityPattern.TryParse(text, out var pattern, out var error));

        Assert.Null(pattern);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => PeerIdentityPattern.Parse(text));
    }

    [Theory]
    [InlineData("*.example.com", "inventory.example.com.evil")]
    [InlineData("*.example.com", "inventory.notexample.com")]
    [InlineData("inventory.example.com", "inventory.example.com.evil")]
    [InlineData("inventory.example.com", "evil-inventory.example.com")]
    public void PeerIdentityPattern_DnsNameAgainstLookAlikeHosts_NoMatch(string san, string host)
    {
        using var leaf = _root.IssueLeaf("leaf", o => o.ForServer().WithDnsNames(san));

        Assert.False(PeerIdentityPattern.Parse(host).Matches(PeerIdentity.FromCertificate(leaf.Certificate)));
    }
}
