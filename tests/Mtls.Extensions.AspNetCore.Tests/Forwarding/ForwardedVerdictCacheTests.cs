using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.AspNetCore.Internal.Forwarding;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>The forwarded-verdict cache: per trust snapshot (policy), expiry-aware, bounded.</summary>
public sealed class ForwardedVerdictCacheTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private HandshakePolicy CreatePolicy()
    {
        var trust = TrustBundle.Create([pki.Root.PublicCopy()]);
        return new HandshakePolicy(new PeerCertificateValidator(_time), trust, PeerRole.Client, new PeerValidationOptions(), MtlsResumption.Enabled, PeerChainCache.Shared, _time, null);
    }

    private ForwardedVerdictCache.Entry Accepted(TimeSpan lifetime)
    {
        var identity = PeerIdentity.FromCertificate(pki.Orders.Certificate);
        return new ForwardedVerdictCache.Entry(PeerValidationResult.Success(PeerRole.Client, identity), pki.Orders.PublicCopy(), _time.GetUtcNow() + lifetime);
    }

    private static ForwardedVerdictCache.Key KeyOf(int i) => ForwardedVerdictCache.Key.Of([BitConverter.GetBytes(i)]);

    [Fact]
    public void TryGet_AfterValidUntil_Misses()
    {
        var cache = new ForwardedVerdictCache(_time);
        var policy = CreatePolicy();
        cache.Add(policy, KeyOf(1), Accepted(TimeSpan.FromMinutes(5)));

        Assert.True(cache.TryGet(policy, KeyOf(1), out _));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(cache.TryGet(policy, KeyOf(1), out _));
    }

    [Fact]
    public void TryGet_NewTrustSnapshot_MissesAndDropsTheOldGeneration()
    {
        var cache = new ForwardedVerdictCache(_time);
        var old = CreatePolicy();
        cache.Add(old, KeyOf(1), Accepted(TimeSpan.FromHours(1)));
        var current = CreatePolicy();

        Assert.False(cache.TryGet(current, KeyOf(1), out _));
        cache.Add(current, KeyOf(2), Accepted(TimeSpan.FromHours(1)));
        Assert.False(cache.TryGet(old, KeyOf(1), out _));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Add_BeyondCapacity_StaysBounded()
    {
        var cache = new ForwardedVerdictCache(_time, capacity: 8);
        var policy = CreatePolicy();
        for (var i = 0; i < 100; i++)
        {
            cache.Add(policy, KeyOf(i), Accepted(TimeSpan.FromHours(1)));
            Assert.InRange(cache.Count, 1, 8);
        }
    }

    [Fact]
    public void Key_LeafAndChainDiffer_DifferentKeys()
    {
        var leaf = pki.Orders.Certificate.RawData;
        var chain = pki.Issuing.Certificate.RawData;
        Assert.NotEqual(ForwardedVerdictCache.Key.Of([leaf]), ForwardedVerdictCache.Key.Of([leaf, chain]));
        Assert.NotEqual(ForwardedVerdictCache.Key.Of([[.. leaf, .. chain]]), ForwardedVerdictCache.Key.Of([leaf, chain]));
        Assert.Equal(ForwardedVerdictCache.Key.Of([leaf, chain]), ForwardedVerdictCache.Key.Of([leaf, chain]));
    }
}
