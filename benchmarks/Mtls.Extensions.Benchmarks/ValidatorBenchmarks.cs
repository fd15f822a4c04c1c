using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>
/// The validator on a 3-level ECDSA P-256 chain (root -> issuing CA -> client leaf, the issuing CA sent by the peer),
/// against a raw X509Chain.Build with the same policy. In a handshake SslStream builds the chain with the pinned policy
/// and <c>ValidateBuiltChain</c> judges it with the library's own path builder and profile checks; <c>Validate</c> (the
/// resumption and fallback path) builds no X509Chain at all. The per-trust-snapshot judgement cache makes a repeated
/// leaf cost a hash and lookups; <c>*_NewLeafEachTime</c> cycles through more leaves than the cache holds, so the leaf is
/// parsed and its signature verified every time (the intermediate's judgement is reused).
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
    private X509Certificate2[] _manyLeaves = null!;
    private int _next;
    private X509Certificate2 _crossLeaf = null!;
    private X509Certificate2Collection _crossSent = null!;
    private Infrastructure.HandshakePolicy _policy = null!;
    private X509Chain _leafOnly = null!;

    /// <summary>Gets a value indicating whether the validator accepts the cross-signed chain (printed, since a build before the path builder refuses it).</summary>
    public bool CrossSignedAccepted { get; private set; }

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

        _manyLeaves = new X509Certificate2[1500];
        for (var i = 0; i < _manyLeaves.Length; i++)
        {
            using var leaf = _issuing.IssueClient($"client-{i}", $"spiffe://example.org/ns/default/sa/client-{i}");
            _manyLeaves[i] = leaf.PublicCopy();
        }

        var newRoot = TestPki.CreateRoot("Bench New Root");
        var migrating = newRoot.CreateIntermediate("Bench Migrating CA");
        var crossSigned = _root.CrossSign(migrating);
        using var crossLeaf = migrating.IssueClient("migrating", "spiffe://example.org/ns/default/sa/migrating");
        _crossLeaf = crossLeaf.PublicCopy();
        _crossSent = [migrating.PublicCopy(), crossSigned.PublicCopy()];
        CrossSignedAccepted = _validator.Validate(_crossLeaf, _crossSent, _trust, PeerRole.Client).IsValid;
        _policy = new Infrastructure.HandshakePolicy(_validator, _trust, PeerRole.Client, new PeerValidationOptions(), MtlsResumption.Enabled, new Infrastructure.PeerChainCache(), TimeProvider.System, null);
        _leafOnly = new X509Chain { ChainPolicy = _validator.CreateChainPolicy(_trust, PeerRole.Client, verificationTimeIgnored: true) };
        _leafOnly.Build(_leaf.Certificate);
        if (!_policy.Judge(_leaf.Certificate, _builtBySslStream, resumptionOffered: false).Result.IsValid || !_policy.Judge(_leaf.Certificate, _leafOnly, resumptionOffered: true).Result.IsValid)
        {
            throw new InvalidOperationException("The handshake policy does not accept the benchmark chain.");
        }
        Console.WriteLine($"// cross-signed chain accepted: {CrossSignedAccepted}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var leaf in _manyLeaves)
        {
            leaf.Dispose();
        }

        _crossLeaf.Dispose();
        _leafOnly.Dispose();
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

    /// <summary>What a full handshake spends on the peer's certificate: SslStream's chain build with the pinned policy, then the verdict.</summary>
    [Benchmark]
    public bool Handshake_ChainBuildAndVerdict()
    {
        using var chain = new X509Chain { ChainPolicy = _validator.CreateChainPolicy(_trust, PeerRole.Client) };
        chain.ChainPolicy.ExtraStore.AddRange(_sent);
        chain.Build(_leaf.Certificate);
        var valid = _validator.ValidateBuiltChain(_leaf.Certificate, chain, _trust, PeerRole.Client).IsValid;
        foreach (var element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        return valid;
    }

    /// <summary>The resumption/fallback path with a leaf the judgement cache has not seen: parse it, verify its signature, run every check.</summary>
    [Benchmark]
    public bool Validate_NewLeafEachTime()
    {
        var leaf = _manyLeaves[_next++ % _manyLeaves.Length];
        return _validator.Validate(leaf, _sent, _trust, PeerRole.Client).IsValid;
    }

    /// <summary>A cross-signed intermediate sent in both versions, the unpinned one first (the platform alone refuses this chain).</summary>
    [Benchmark]
    public bool Validate_CrossSigned() => _validator.Validate(_crossLeaf, _crossSent, _trust, PeerRole.Client).IsValid;

    /// <summary>A full handshake of a known client (same leaf, same intermediates, same trust snapshot): the policy's verdict is a lookup.</summary>
    [Benchmark]
    public bool Handshake_Full_KnownClient() => _policy.Judge(_leaf.Certificate, _builtBySslStream, resumptionOffered: false).Result.IsValid;

    /// <summary>A resumed session (leaf only) of a known client re-judged against today's trust: a lookup, not a validation.</summary>
    [Benchmark]
    public bool Handshake_Resumed_KnownClient() => _policy.Judge(_leaf.Certificate, _leafOnly, resumptionOffered: true).Result.IsValid;
}
