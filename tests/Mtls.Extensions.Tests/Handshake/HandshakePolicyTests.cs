using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Handshake;

public sealed class HandshakePolicyTests : IDisposable
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;

    public HandshakePolicyTests()
    {
        _root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        _issuing = _root.CreateIntermediate("Fleet Issuing CA");
    }

    public void Dispose()
    {
        _issuing.Dispose();
        _root.Dispose();
    }

    private HandshakePolicy CreateSut(PeerChainCache chains, TrustBundle? trust = null, PeerValidationOptions? options = null) =>
        new(new PeerCertificateValidator(_time), trust ?? _root.ToTrustBundle(), PeerRole.Client, options ?? new PeerValidationOptions(), MtlsResumption.Enabled, chains, _time, metrics: null);

    private static X509Chain Sent(HandshakePolicy policy, params X509Certificate2[] intermediates)
    {
        var chain = new X509Chain { ChainPolicy = policy.ChainPolicy.Clone() };
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        return chain;
    }

    [Fact]
    public void BuildPeerOptions_EntryDoesNotParse_ThrowsNamingTheKey()
    {
        var settings = new PeerPolicySettings(false, 4, false, [("Mtls:Server:AllowedPeers:0", Orders), ("Mtls:Server:AllowedPeers:1", "spiffe://")]);

        var error = Assert.Throws<InvalidOperationException>(() => HandshakePolicy.BuildPeerOptions(settings));

        Assert.StartsWith("Mtls:Server:AllowedPeers:1: 'spiffe://'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildPeerOptions_ValidEntries_AllKeptInOrder()
    {
        var options = HandshakePolicy.BuildPeerOptions(new PeerPolicySettings(true, 3, true, [("k:0", Orders), ("k:1", "spiffe://example.org")]));

        Assert.Equal([Orders, "spiffe://example.org"], options.AllowedPeers.Select(p => p.ToString()));
        Assert.True(options.AllowMissingExtendedKeyUsage);
        Assert.True(options.RequireSpiffeId);
        Assert.Equal(3, options.MaxChainDepth);
    }

    [Fact]
    public void Judge_LeafOnlyAfterAcceptedFullHandshake_IsResumedAndAcceptedWithTheKnownIntermediates()
    {
        var chains = new PeerChainCache();
        var policy = CreateSut(chains);
        using var leaf = _issuing.IssueClient("orders", Orders);
        using var full = Sent(policy, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());

        var first = policy.Judge(leaf.PublicCopy(), full);
        using var resumedChain = Sent(policy);
        resumedChain.Build(leaf.PublicCopy());
        var resumed = policy.Judge(leaf.PublicCopy(), resumedChain);

        Assert.True(first.Result.IsValid, first.Result.Message);
        Assert.False(first.Resumed);
        Assert.True(resumed.Result.IsValid, resumed.Result.Message);
        Assert.True(resumed.Resumed);
        Assert.Equal(leaf.Certificate.NotAfter.ToUniversalTime().AddSeconds(1), resumed.ValidUntil.UtcDateTime);
    }

    [Fact]
    public void Judge_LeafOnlyNeverSeenInAFullHandshake_IsUntrustedRoot()
    {
        var policy = CreateSut(new PeerChainCache());
        using var leaf = _issuing.IssueClient("orders", Orders);
        using var chain = Sent(policy);
        chain.Build(leaf.PublicCopy());

        var verdict = policy.Judge(leaf.PublicCopy(), chain);

        // Its issuer is neither pinned nor known below a pinned CA in this snapshot (issue 24 item 10).
        Assert.Equal(MtlsRejectionReason.UntrustedRoot, verdict.Result.Reason);
        Assert.False(verdict.Resumed);
    }

    [Fact]
    public void Judge_ResumedUnderANewPolicy_IsJudgedByTheNewTrust()
    {
        var chains = new PeerChainCache();
        using var leaf = _issuing.IssueClient("orders", Orders);
        var old = CreateSut(chains);
        using var full = Sent(old, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());
        Assert.True(old.Judge(leaf.PublicCopy(), full).Result.IsValid);
        using var other = TestPki.CreateRoot("Other Root", timeProvider: _time);

        var next = CreateSut(chains, other.ToTrustBundle());
        using var resumedChain = Sent(next);
        resumedChain.Build(leaf.PublicCopy());
        var verdict = next.Judge(leaf.PublicCopy(), resumedChain);

        Assert.True(verdict.Resumed);
        Assert.Equal(MtlsRejectionReason.UntrustedRoot, verdict.Result.Reason);
    }

    [Fact]
    public void Revalidate_AfterTheLeafExpired_IsExpiredEvenThoughAnAcceptedVerdictIsCached()
    {
        var chains = new PeerChainCache();
        var policy = CreateSut(chains);
        using var leaf = _issuing.IssueLeaf("short", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(_time.GetUtcNow().AddMinutes(-1), _time.GetUtcNow().AddHours(1)));
        using var full = Sent(policy, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());
        var accepted = policy.Judge(leaf.PublicCopy(), full);
        Assert.True(accepted.Result.IsValid);

        // RFC 5280 validity includes the notAfter second itself: expired one second after it.
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(MtlsRejectionReason.Expired, policy.Revalidate(accepted.Chain!).Reason);
    }

    [Fact]
    public void PeerChainCache_MoreChainsThanCapacity_OldestEvicted()
    {
        var cache = new PeerChainCache(capacity: 2);
        using var a = _issuing.IssueClient("a");
        using var b = _issuing.IssueClient("b");
        using var c = _issuing.IssueClient("c");
        foreach (var leaf in new[] { a, b, c })
        {
            cache.Remember(PeerChain.Copy(PeerChain.Hash(leaf.Certificate), leaf.Certificate, leaf.IntermediatesCollection(), 4));
        }

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(PeerChain.Hash(a.Certificate), out _));
        Assert.True(cache.TryGet(PeerChain.Hash(c.Certificate), out var intermediates));
        Assert.Single(intermediates);
    }

    [Fact]
    public void Judge_LeafOnlyFullHandshakeAfterAnotherSentTheChain_IsPartialChain()
    {
        var chains = new PeerChainCache();
        var policy = CreateSut(chains);
        using var leaf = _issuing.IssueClient("orders", Orders);
        using var full = Sent(policy, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());
        Assert.True(policy.Judge(leaf.PublicCopy(), full, resumptionOffered: false).Result.IsValid);
        using var leafOnly = Sent(policy);
        leafOnly.Build(leaf.PublicCopy());

        var verdict = policy.Judge(leaf.PublicCopy(), leafOnly, resumptionOffered: false);

        Assert.Equal(MtlsRejectionReason.PartialChain, verdict.Result.Reason);
        Assert.False(verdict.Resumed);
    }

    [Fact]
    public void Judge_ResumedLeafOfARefusedFullHandshake_HasTheFullHandshakesReason()
    {
        var policy = CreateSut(new PeerChainCache());
        using var leaf = _issuing.IssueLeaf("expired", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(_time.GetUtcNow().AddHours(-2), _time.GetUtcNow().AddHours(-1)));
        using var full = Sent(policy, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());
        Assert.Equal(MtlsRejectionReason.Expired, policy.Judge(leaf.PublicCopy(), full, resumptionOffered: false).Result.Reason);
        using var leafOnly = Sent(policy);
        leafOnly.Build(leaf.PublicCopy());

        var verdict = policy.Judge(leaf.PublicCopy(), leafOnly, resumptionOffered: true);

        Assert.Equal(MtlsRejectionReason.Expired, verdict.Result.Reason);
        Assert.True(verdict.Resumed);
    }

    [Fact]
    public void Judge_Accepted_ValidUntilIsTheFirstInstantValidationRefuses()
    {
        var policy = CreateSut(new PeerChainCache());
        using var leaf = _issuing.IssueLeaf("short", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(_time.GetUtcNow().AddMinutes(-1), _time.GetUtcNow().AddHours(1)));
        using var full = Sent(policy, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());
        var accepted = policy.Judge(leaf.PublicCopy(), full);
        var notAfter = new DateTimeOffset(leaf.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

        // The whole notAfter second is valid; the connection ends when a full handshake would be refused, not before.
        _time.SetUtcNow(accepted.ValidUntil - TimeSpan.FromMilliseconds(1));
        var lastValid = new PeerCertificateValidator(_time).Validate(leaf.Certificate, leaf.IntermediatesCollection(), _root.ToTrustBundle(), PeerRole.Client);
        _time.SetUtcNow(accepted.ValidUntil);
        var firstRefused = new PeerCertificateValidator(_time).Validate(leaf.Certificate, leaf.IntermediatesCollection(), _root.ToTrustBundle(), PeerRole.Client);

        Assert.Equal(notAfter.AddSeconds(1), accepted.ValidUntil);
        Assert.True(lastValid.IsValid, lastValid.Message);
        Assert.Equal(MtlsRejectionReason.Expired, firstRefused.Reason);
    }

    [Fact]
    public void Judge_KnownLeafSameIntermediates_VerdictIsALookupUntilItExpires()
    {
        var policy = CreateSut(new PeerChainCache());
        using var leaf = _issuing.IssueLeaf("short", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(_time.GetUtcNow().AddMinutes(-1), _time.GetUtcNow().AddHours(1)));
        using var first = Sent(policy, leaf.IntermediatesCollection().ToArray());
        first.Build(leaf.PublicCopy());
        var accepted = policy.Judge(leaf.PublicCopy(), first, resumptionOffered: false);
        using var second = Sent(policy, leaf.IntermediatesCollection().ToArray());
        second.Build(leaf.PublicCopy());

        var again = policy.Judge(leaf.PublicCopy(), second, resumptionOffered: false);
        _time.SetUtcNow(accepted.ValidUntil);
        using var third = Sent(policy, leaf.IntermediatesCollection().ToArray());
        third.Build(leaf.PublicCopy());
        var afterExpiry = policy.Judge(leaf.PublicCopy(), third, resumptionOffered: false);

        Assert.True(accepted.Result.IsValid, accepted.Result.Message);
        Assert.Same(accepted.Result, again.Result);
        Assert.Equal(accepted.ValidUntil, again.ValidUntil);
        Assert.NotNull(again.Chain);
        Assert.Equal(MtlsRejectionReason.Expired, afterExpiry.Result.Reason);
    }

    [Fact]
    public void Judge_KnownLeafOtherIntermediates_IsJudgedAgain()
    {
        var policy = CreateSut(new PeerChainCache());
        using var leaf = _issuing.IssueClient("orders", Orders);
        using var other = TestPki.CreateRoot("Unpinned Root", timeProvider: _time);
        using var full = Sent(policy, leaf.IntermediatesCollection().ToArray());
        full.Build(leaf.PublicCopy());
        var accepted = policy.Judge(leaf.PublicCopy(), full, resumptionOffered: false);
        using var withExtra = Sent(policy, [.. leaf.IntermediatesCollection(), other.PublicCopy()]);
        withExtra.Build(leaf.PublicCopy());

        var again = policy.Judge(leaf.PublicCopy(), withExtra, resumptionOffered: false);

        Assert.True(again.Result.IsValid, again.Result.Message);
        Assert.NotSame(accepted.Result, again.Result);
    }
}
