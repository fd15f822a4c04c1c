using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>
/// What revocation costs: loading (parsing) a CRL of 100,000 entries, and judging a peer (3-level ECDSA P-256 chain, the
/// issuing CA sent) with no revocation data (the baseline), with that CRL for its issuer, and with a 1,000-entry denylist.
/// A revocation lookup is one hash of the serial number or certificate per handshake; the CRL's signature is verified once
/// per issuer and kept.
/// </summary>
[MemoryDiagnoser]
public class RevocationBenchmarks
{
    private TestCertificateAuthority _root = null!;
    private TestCertificateAuthority _issuing = null!;
    private TestCertificate _leaf = null!;
    private X509Certificate2 _peer = null!;
    private X509Certificate2Collection _sent = null!;
    private TrustBundle _trust = null!;
    private PeerCertificateValidator _validator = null!;
    private byte[] _bigCrl = null!;
    private PeerValidationOptions _none = null!;
    private PeerValidationOptions _withCrl = null!;
    private PeerValidationOptions _withDeny = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = TestPki.CreateRoot("Bench Root");
        _issuing = _root.CreateIntermediate("Bench Issuing CA");
        _leaf = _issuing.IssueClient("orders", "spiffe://example.org/ns/default/sa/orders");
        _peer = _leaf.PublicCopy();
        _sent = _leaf.IntermediatesCollection();
        _trust = _root.ToTrustBundle();
        _validator = new PeerCertificateValidator();
        _bigCrl = CreateCrl(_issuing, 100_000);
        var crl = CertificateRevocationList.Parse(_bigCrl, "bench.crl");
        _none = new PeerValidationOptions();
        _withCrl = new PeerValidationOptions { Revocation = new RevocationPolicy(DenyList.Empty, [crl], new MtlsRevocationOptions(), "Mtls:Server:Revocation") };
        var deny = Enumerable.Range(0, 1000).Select(i => "sha256:" + Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(i)))).ToList();
        _withDeny = new PeerValidationOptions { Revocation = new RevocationPolicy(DenyList.FromConfiguration(deny, "Mtls:Server:Revocation:Deny"), [], new MtlsRevocationOptions(), "Mtls:Server:Revocation") };
        if (!Validate(_withCrl).IsValid || !Validate(_withDeny).IsValid)
        {
            throw new InvalidOperationException("The benchmark peer is not accepted.");
        }
    }

    /// <summary>A CRL of <paramref name="issuer"/> listing <paramref name="count"/> random 16-byte serial numbers.</summary>
    internal static byte[] CreateCrl(TestCertificateAuthority issuer, int count)
    {
        var builder = new CertificateRevocationListBuilder();
        var serial = new byte[16];
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            RandomNumberGenerator.Fill(serial);
            serial[0] = (byte)((serial[0] & 0x3F) | 0x40); // positive, no redundant leading byte
            builder.AddEntry(serial, now.AddDays(-1), X509RevocationReason.KeyCompromise);
        }

        return builder.Build(issuer.Certificate, BigInteger.One, now.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: now.AddMinutes(-1));
    }

    [Benchmark]
    public int Load100000EntryCrl() => CertificateRevocationList.Parse(_bigCrl, "bench.crl").Count;

    [Benchmark(Baseline = true)]
    public bool Validate_NoRevocation() => Validate(_none).IsValid;

    [Benchmark]
    public bool Validate_100000EntryCrl() => Validate(_withCrl).IsValid;

    [Benchmark]
    public bool Validate_1000EntryDenylist() => Validate(_withDeny).IsValid;

    [GlobalCleanup]
    public void Cleanup()
    {
        _peer.Dispose();
        _leaf.Dispose();
        _issuing.Dispose();
        _root.Dispose();
    }

    private PeerValidationResult Validate(PeerValidationOptions options) => _validator.Validate(_peer, _sent, _trust, PeerRole.Client, options);
}
