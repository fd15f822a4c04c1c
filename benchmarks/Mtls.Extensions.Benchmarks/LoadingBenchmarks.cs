using BenchmarkDotNet.Attributes;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>Material loading (start-up and every rotation): PEM cert + key files, PFX, with the SslStreamCertificateContext built.</summary>
[MemoryDiagnoser]
public class LoadingBenchmarks
{
    private string _directory = null!;
    private CertificateSourceOptions _pem = null!;
    private CertificateSourceOptions _pfx = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("mtls-bench-load-").FullName;
        using var root = TestPki.CreateRoot("Bench Root");
        using var issuing = root.CreateIntermediate("Bench Issuing CA");
        using var leaf = issuing.IssueLocalhostServer("inventory");
        leaf.WritePem(Path.Combine(_directory, "tls.crt"), Path.Combine(_directory, "tls.key"));
        leaf.WritePfx(Path.Combine(_directory, "tls.pfx"), "bench");
        _pem = new CertificateSourceOptions { Path = Path.Combine(_directory, "tls.crt"), KeyPath = Path.Combine(_directory, "tls.key") };
        _pfx = new CertificateSourceOptions { Path = Path.Combine(_directory, "tls.pfx"), Password = "bench" };
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true)]
    public string LoadPem() => CertificateMaterialLoader.Load(_pem).ThumbprintSha256;

    [Benchmark]
    public string LoadPfx() => CertificateMaterialLoader.Load(_pfx).ThumbprintSha256;
}
