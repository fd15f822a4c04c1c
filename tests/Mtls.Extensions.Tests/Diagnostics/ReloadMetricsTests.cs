using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

/// <summary>mtls.certificate.reloads names the source that reloaded, so two clients' rotations can be told apart.</summary>
public sealed class ReloadMetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-reload-metrics-").FullName;

    [Fact]
    public void ReloadMetrics_Reloads_TaggedWithTheSourceName()
    {
        using var root = TestPki.CreateRoot("Metrics Root");
        using var first = root.IssueLocalhostServer("first");
        using var second = root.IssueLocalhostServer("second");
        var cert = Path.Combine(_dir, "tls.crt");
        var key = Path.Combine(_dir, "tls.key");
        first.WritePem(cert, key);
        var services = new ServiceCollection().AddLogging();
        services.AddMtlsCore();
        using var provider = services.BuildServiceProvider();
        using var reloads = new MetricCollector<long>(provider.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ReloadsInstrument);
        var factory = provider.GetRequiredService<MtlsSourceFactory>();
        factory.GetCertificateSource("client:inventory", new CertificateSourceOptions { Path = cert, KeyPath = key }, new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.Zero });

        second.WritePem(cert, key);
        factory.ReloadAll();

        var measurement = Assert.Single(reloads.GetMeasurementSnapshot());
        Assert.Equal("client:inventory", measurement.Tags["mtls.source.name"]);
        Assert.Equal("certificate", measurement.Tags["mtls.source.kind"]);
        Assert.Equal("success", measurement.Tags["mtls.reload.result"]);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
