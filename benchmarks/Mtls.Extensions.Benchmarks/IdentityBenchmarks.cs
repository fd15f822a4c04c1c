using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>Per-connection identity work: SPIFFE ID parsing, PeerIdentity from a certificate, claims mapping.</summary>
[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private TestCertificateAuthority _root = null!;
    private TestCertificate _leaf = null!;
    private PeerIdentity _identity = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = TestPki.CreateRoot("Bench Root");
        _leaf = _root.IssueLeaf("orders", o => o.ForClient().WithSpiffeId("spiffe://example.org/ns/default/sa/orders").WithDnsNames("orders.default.svc"));
        _identity = PeerIdentity.FromCertificate(_leaf.Certificate);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _leaf.Dispose();
        _root.Dispose();
    }

    [Benchmark]
    public SpiffeId ParseSpiffeId() => SpiffeId.Parse("spiffe://example.org/ns/default/sa/orders");

    [Benchmark]
    public PeerIdentity PeerIdentityFromCertificate() => PeerIdentity.FromCertificate(_leaf.Certificate);

    [Benchmark]
    public int MapClaims() => MtlsClaimsMapper.Map(_identity, "MutualTls").Length;
}
