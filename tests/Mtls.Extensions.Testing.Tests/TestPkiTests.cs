using Microsoft.Extensions.Time.Testing;

namespace Mtls.Extensions.Testing.Tests;

public sealed class TestPkiTests
{
    [Fact]
    public void IssueLeaf_ViaIntermediate_HasChainAndKey()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var root = TestPki.CreateRoot("Root", timeProvider: time);
        using var issuing = root.CreateIntermediate("Issuing");
        using var leaf = issuing.IssueClient("orders", "spiffe://example.org/sa/orders");
        Assert.True(leaf.Certificate.HasPrivateKey);
        Assert.Single(leaf.Intermediates);
        Assert.Equal("CN=Issuing", leaf.Certificate.Issuer);
        Assert.Equal(time.GetUtcNow().AddDays(1), new DateTimeOffset(leaf.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }
}
