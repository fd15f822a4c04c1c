using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

public sealed class FileSizeLimitTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-size-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void TrustFileAboveTheLimit_AtRunTime_IgnoredAndTheLastGoodBundleKept()
    {
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        var path = root.WriteCertificatePem(Path.Combine(_dir, "ca.pem"));
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).AddLogging();
        services.AddMtlsCore();
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<MtlsSourceFactory>();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.Zero, MaxRetries = 0 };
        var source = factory.GetTrustBundleSource("server", new TrustedCaOptions { Path = path, MaxFileSize = 64 * 1024 }, reload: reload);
        var good = source.Current;

        // 100 MB would be read whole on every poll; the limit refuses it without reading it.
        using (var stream = new FileStream(path, FileMode.Append))
        {
            stream.SetLength(stream.Length + (100L * 1024 * 1024));
        }

        factory.ReloadAll();

        Assert.Same(good, source.Current);
        var error = Assert.IsType<CertificateLoadException>(provider.GetRequiredService<MtlsSourceRegistry>().Snapshot().Single(s => s.Kind == "trust-bundle").LastError);
        Assert.Equal(CertificateLoadErrorKind.TooLarge, error.Kind);
        Assert.Contains("above the limit of 65536 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateOrKeyFileAboveTheLimit_IsRefused_NamingTheKey()
    {
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var leaf = root.IssueLeaf("inventory", o => o.ForServer());
        var cert = Path.Combine(_dir, "tls.crt");
        var key = Path.Combine(_dir, "tls.key");
        leaf.WritePem(cert, key);
        File.AppendAllText(key, new string('\n', 2048));

        var error = Assert.Throws<CertificateLoadException>(() => CertificateMaterialLoader.Load(new CertificateSourceOptions { Path = cert, KeyPath = key, MaxFileSize = 1024 }, "Mtls:Server:Certificate"));
        Assert.Equal(CertificateLoadErrorKind.TooLarge, error.Kind);
        Assert.Contains("Mtls:Server:Certificate:", error.Message, StringComparison.Ordinal);
        Assert.Contains("above the limit of 1024 bytes", error.Message, StringComparison.Ordinal);
    }
}
