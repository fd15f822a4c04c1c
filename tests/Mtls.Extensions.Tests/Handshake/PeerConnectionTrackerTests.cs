using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Handshake;

public sealed class PeerConnectionTrackerTests : IDisposable
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;

    public PeerConnectionTrackerTests()
    {
        _root = TestPki.CreateRoot("Tracker Root", timeProvider: _time);
        _issuing = _root.CreateIntermediate("Tracker Issuing CA");
    }

    public void Dispose()
    {
        _issuing.Dispose();
        _root.Dispose();
    }

    [Fact]
    public void Track_ChainReachesNotAfter_ConnectionEndsWhenTheNotAfterSecondEndsLikeValidation()
    {
        var policy = new HandshakePolicy(new PeerCertificateValidator(_time), _root.ToTrustBundle(), PeerRole.Client, new PeerValidationOptions(), MtlsResumption.Enabled, new PeerChainCache(), _time, metrics: null);
        using var leaf = _issuing.IssueLeaf("short", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(_time.GetUtcNow().AddMinutes(-1), _time.GetUtcNow().AddHours(1)));
        using var chain = new X509Chain { ChainPolicy = policy.ChainPolicy.Clone() };
        chain.ChainPolicy.ExtraStore.AddRange(leaf.IntermediatesCollection());
        chain.Build(leaf.PublicCopy());
        var verdict = policy.Judge(leaf.PublicCopy(), chain);
        Assert.True(verdict.Result.IsValid, verdict.Result.Message);
        using var tracker = new PeerConnectionTracker(PeerRole.Client, _time, null, NullLogger.Instance);
        var closed = 0;
        using var registration = tracker.Track("c1", verdict, null, () => closed++);
        var notAfter = new DateTimeOffset(leaf.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

        _time.SetUtcNow(notAfter);
        var openAtNotAfter = closed;
        var acceptedAtNotAfter = policy.Revalidate(verdict.Chain!).IsValid;
        _time.Advance(TimeSpan.FromMilliseconds(999));
        var openInTheLastSecond = closed;
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(0, openAtNotAfter);
        Assert.True(acceptedAtNotAfter);
        Assert.Equal(0, openInTheLastSecond);
        Assert.Equal(1, closed);
        Assert.Equal(MtlsRejectionReason.Expired, policy.Revalidate(verdict.Chain!).Reason);
    }
}
