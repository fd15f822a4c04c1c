using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

public sealed class ObservabilityTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificate _leaf;
    private readonly ServiceProvider _provider;

    public ObservabilityTests()
    {
        _root = TestPki.CreateRoot("Fleet Root", o => o.ValidBetween(_time.GetUtcNow().AddDays(-1), _time.GetUtcNow().AddDays(365)), _time);
        // A 90-day certificate, as cert-manager issues them.
        _leaf = _root.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").ValidBetween(_time.GetUtcNow(), _time.GetUtcNow().AddDays(90)));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddMtlsCore();
        MtlsSourceDeclaration.Declare(services, "server");
        services.AddHealthChecks().AddMtlsCertificates();
        _provider = services.BuildServiceProvider();
    }

    public void Dispose()
    {
        _provider.Dispose();
        _leaf.Dispose();
        _root.Dispose();
    }

    private void LoadServerSources(MtlsReloadOptions? reload = null)
    {
        var factory = _provider.GetRequiredService<MtlsSourceFactory>();
        factory.GetCertificateSource("server", new CertificateSourceOptions { Pem = _leaf.ExportCertificatePem(), KeyPem = _leaf.ExportKeyPem() }, reload);
        factory.GetTrustBundleSource("server", new TrustedCaOptions { Pem = _root.ExportCertificatePem() }, reload: reload);
    }

    private async Task<HealthReport> CheckAsync() => await _provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    [Fact]
    public async Task HealthChecks_NeverLoaded_Unhealthy()
    {
        var report = await CheckAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["mtls:server:certificate"].Status);
        Assert.Contains("never been loaded", report.Entries["mtls:server:certificate"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthChecks_FakeTimePasses_FollowLifetimeThresholds()
    {
        LoadServerSources();

        var fresh = await CheckAsync();
        Assert.Equal(HealthStatus.Healthy, fresh.Entries["mtls:server:certificate"].Status);
        Assert.Equal(HealthStatus.Healthy, fresh.Entries["mtls:server:trust-bundle"].Status);
        Assert.Equal("CN=inventory", fresh.Entries["mtls:server:certificate"].Data["subject"]);

        _time.Advance(TimeSpan.FromDays(59)); // 31 of 90 days left: above 1/3
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Entries["mtls:server:certificate"].Status);

        _time.Advance(TimeSpan.FromDays(2)); // 29 of 90 days left: below 1/3
        var degraded = (await CheckAsync()).Entries["mtls:server:certificate"];
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("CN=inventory", degraded.Description, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromDays(30)); // expired
        var expired = (await CheckAsync()).Entries["mtls:server:certificate"];
        Assert.Equal(HealthStatus.Unhealthy, expired.Status);
        Assert.Contains("expired", expired.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthChecks_FailedReload_Degraded()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-health-").FullName;
        var cert = Path.Combine(dir, "tls.crt");
        var key = Path.Combine(dir, "tls.key");
        _leaf.WritePem(cert, key);
        var factory = _provider.GetRequiredService<MtlsSourceFactory>();
        factory.GetCertificateSource("server", new CertificateSourceOptions { Path = cert, KeyPath = key }, new MtlsReloadOptions { Watch = false, MaxRetries = 0, PollInterval = TimeSpan.Zero });
        factory.GetTrustBundleSource("server", new TrustedCaOptions { Pem = _root.ExportCertificatePem() });

        File.WriteAllText(cert, "garbage");
        factory.ReloadAll();

        var entry = (await CheckAsync()).Entries["mtls:server:certificate"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("last reload failed", entry.Description, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Metrics_ValidationsCountedPerReason_AndRejectionLoggedWithEventId201()
    {
        var validator = _provider.GetRequiredService<PeerCertificateValidator>();
        using var collector = new MetricCollector<long>(_provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ValidationsInstrument);
        var trust = _root.ToTrustBundle();
        using var other = TestPki.CreateRoot("Other", timeProvider: _time);
        using var stranger = other.IssueClient("stranger");
        using var client = _root.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");

        validator.Validate(client.PublicCopy(), null, trust, PeerRole.Client);
        validator.Validate(stranger.PublicCopy(), null, trust, PeerRole.Client);
        validator.Validate((X509Certificate2?)null, null, trust, PeerRole.Client);

        var measurements = collector.GetMeasurementSnapshot();
        Assert.Equal(3, measurements.Count);
        Assert.Single(measurements, m => (string?)m.Tags["mtls.validation.result"] == "success" && (string?)m.Tags["mtls.peer.role"] == "client");
        Assert.Single(measurements, m => m.Tags.TryGetValue("error.type", out var r) && (string?)r == "UntrustedRoot");
        Assert.Single(measurements, m => m.Tags.TryGetValue("error.type", out var r) && (string?)r == "NoCertificate");
        Assert.All(measurements, m => Assert.DoesNotContain(m.Tags.Values, v => v is string s && s.Contains(stranger.ThumbprintSha256, StringComparison.Ordinal)));

        var logs = _provider.GetRequiredService<FakeLogCollector>().GetSnapshot();
        var rejected = logs.Where(l => l.Id.Id == 201).ToList();
        Assert.Single(rejected);
        // A peer without any certificate logs below a rejected certificate (event 203, Information).
        Assert.Equal(LogLevel.Information, Assert.Single(logs, l => l.Id.Id == 203).Level);
        Assert.Contains(rejected, l => l.Message.Contains("UntrustedRoot", StringComparison.Ordinal) && l.Message.Contains("CN=stranger", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Message.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public void Metrics_TimeToExpiryGauge_PerCertificateAndPinnedCa()
    {
        LoadServerSources();
        using var collector = new MetricCollector<double>(_provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.TimeToExpiryInstrument);
        collector.RecordObservableInstruments();
        var snapshot = collector.GetMeasurementSnapshot();
        var certificate = Assert.Single(snapshot, m => (string?)m.Tags["mtls.certificate.kind"] == "certificate");
        Assert.Equal(TimeSpan.FromDays(90).TotalSeconds, certificate.Value, precision: 0);
        Assert.Equal("server", certificate.Tags["mtls.source.name"]);
        Assert.Single(snapshot, m => (string?)m.Tags["mtls.certificate.kind"] == "trusted-ca");
    }

    [Fact]
    public void Logs_CertificateLoaded_EventId101WithThumbprintAndNoKey()
    {
        LoadServerSources();
        var logs = _provider.GetRequiredService<FakeLogCollector>().GetSnapshot();
        var loaded = Assert.Single(logs, l => l.Id.Id == 101);
        Assert.Contains(_leaf.ThumbprintSha256, loaded.Message, StringComparison.Ordinal);
        Assert.Single(logs, l => l.Id.Id == 102);
        Assert.DoesNotContain(logs, l => l.Message.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }
}
