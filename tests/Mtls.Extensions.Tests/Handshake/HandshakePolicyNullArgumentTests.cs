using System.Net.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Handshake;

/// <summary>The public infrastructure of the handshake refuses null arguments (it is called by sibling packages and hosts).</summary>
public sealed class HandshakePolicyNullArgumentTests
{
    [Fact]
    public void Constructor_NullArguments_Throw()
    {
        using var root = TestPki.CreateRoot("Fleet Root");
        var validator = new PeerCertificateValidator();
        var trust = root.ToTrustBundle();
        var options = new PeerValidationOptions();
        var chains = PeerChainCache.Shared;
        var time = TimeProvider.System;

        Assert.Throws<ArgumentNullException>(() => new HandshakePolicy(null!, trust, PeerRole.Client, options, MtlsResumption.Enabled, chains, time, null));
        Assert.Throws<ArgumentNullException>(() => new HandshakePolicy(validator, null!, PeerRole.Client, options, MtlsResumption.Enabled, chains, time, null));
        Assert.Throws<ArgumentNullException>(() => new HandshakePolicy(validator, trust, PeerRole.Client, null!, MtlsResumption.Enabled, chains, time, null));
        Assert.Throws<ArgumentNullException>(() => new HandshakePolicy(validator, trust, PeerRole.Client, options, MtlsResumption.Enabled, null!, time, null));
        Assert.Throws<ArgumentNullException>(() => new HandshakePolicy(validator, trust, PeerRole.Client, options, MtlsResumption.Enabled, chains, null!, null));
    }

    [Fact]
    public void Members_NullArguments_Throw()
    {
        using var root = TestPki.CreateRoot("Fleet Root");
        var trust = root.ToTrustBundle();
        var policy = new HandshakePolicy(new PeerCertificateValidator(), trust, PeerRole.Client, new PeerValidationOptions(), MtlsResumption.Enabled, PeerChainCache.Shared, TimeProvider.System, null);

        Assert.Throws<ArgumentNullException>(() => policy.Apply((SslServerAuthenticationOptions)null!));
        Assert.Throws<ArgumentNullException>(() => policy.Apply((SslClientAuthenticationOptions)null!));
        Assert.Throws<ArgumentNullException>(() => HandshakePolicy.BuildPeerOptions(null!));
        Assert.Throws<ArgumentNullException>(() => HandshakePolicy.EnsureCovered(null!, [], "k"));
        Assert.Throws<ArgumentNullException>(() => HandshakePolicy.EnsureCovered(trust, null!, "k"));
        Assert.Throws<ArgumentNullException>(() => HandshakePolicy.EnsureCovered(trust, [], null!));
    }

    [Fact]
    public void ConnectionTracker_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new PeerConnectionTracker(PeerRole.Client, null!, null, NullLogger.Instance));
        Assert.Throws<ArgumentNullException>(() => new PeerConnectionTracker(PeerRole.Client, TimeProvider.System, null, null!));
        using var tracker = new PeerConnectionTracker(PeerRole.Client, TimeProvider.System, null, NullLogger.Instance);
        Assert.Throws<ArgumentNullException>(() => tracker.Revalidate(null!));
        Assert.Throws<ArgumentNullException>(() => tracker.Track("c1", null!, null, () => { }));
    }

    [Fact]
    public void RejectionLogLimiter_WithRemoteAddressNullValidation_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => RejectionLogLimiter.WithRemoteAddress<bool>("192.0.2.1", null!));
    }
}
