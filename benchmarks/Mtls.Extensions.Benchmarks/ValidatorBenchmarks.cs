using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>
/// The validator on a 3-level ECDSA P-256 chain (root -> issuing CA -> client leaf, the issuing CA sent by the peer),
/// against a raw X509Chain.Build with the same policy. The library builds no chain of its own in a handshake: SslStream
/// builds it with the pinned policy and <c>ValidateBuiltChain</c> judges it; <c>Validate</c> is the fallback that builds.
/// </summary>
[MemoryDiagnoser]
public class ValidatorBenchmarks
{
    private TestCertificateAuthority _root = null!;
    private TestCertificateAuthority _issuing = null!;
    private TestCertificate _leaf = null!;
    private byte[] _leafDer = null!;
    private TrustBundle _trust = null!;
    private X509Certificate2Collection _sent = null!;
    private PeerCertificateValidator _validator = null!;
    private X509Chain _builtBySslStream = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = TestPki.CreateRoot("Bench Root");
        _issuing = _root.CreateIntermediate("Bench Issuing CA");
        _leaf = _issuing.IssueClient("orders", "spiffe://example.org/ns/default/sa/orders");
        _leafDer = _leaf.Certificate.RawData;
        _trust = _root.ToTrustBundle();
        _sent = _leaf.IntermediatesCollection();
        _validator = new PeerCertificateValidator();
        _builtBySslStream = new X509Chain { ChainPolicy = _validator.CreateChainPolicy(_trust, PeerRole.Client) };
        _builtBySslStream.ChainPolicy.ExtraStore.AddRange(_sent);
        if (!_builtBySslStream.Build(_leaf.Certificate) || !_validator.Validate(_leaf.Certificate, _sent, _trust, PeerRole.Client).IsValid)
        {
            throw new InvalidOperationException("The benchmark chain does not validate.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _builtBySslStream.Dispose();
        _leaf.Dispose();
        _issuing.Dispose();
        _root.Dispose();
    }

    /// <summary>What a hand-written pinned validation costs: one chain build, no identity checks.</summary>
    [Benchmark(Baseline = true)]
    public bool RawChainBuild()
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trust.Anchors.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(_sent);
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(_leaf.Certificate);
    }

    /// <summary>The handshake path: judge the chain SslStream already built (EKU, CA flags, depth, keys, SPIFFE, allowed peers).</summary>
    [Benchmark]
    public bool ValidateBuiltChain() => _validator.ValidateBuiltChain(_leaf.Certificate, _builtBySslStream, _trust, PeerRole.Client).IsValid;

    /// <summary>The fallback path, same certificate object every time (repeated validation).</summary>
    [Benchmark]
    public bool Validate_Repeated() => _validator.Validate(_leaf.Certificate, _sent, _trust, PeerRole.Client).IsValid;

    /// <summary>The fallback path from the DER bytes a new connection delivers (first time: parse + build + checks).</summary>
    [Benchmark]
    public bool Validate_FirstTime_FromDer() => _validator.Validate(_leafDer, _sent, _trust, PeerRole.Client).IsValid;
}
