using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Revocation;

/// <summary>CRL age and next update in the trust bundle's health check and in metrics; no change without CRL files.</summary>
public sealed class CrlHealthTests : IDisposable
{
    private static readonly MtlsReloadOptions NoWatch = new() { Watch = false, PollInterval = TimeSpan.Zero, MaxRetries = 0 };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificate _leaf;
    private readonly ServiceProvider _provider;
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-crl-health-").FullName;

    public CrlHealthTests()
    {
        _root = TestPki.CreateRoot("Fleet Root", o => o.ValidBetween(_time.GetUtcNow().AddDays(-1), _time.GetUtcNow().AddDays(365)), _time);
        _leaf = _root.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").ValidBetween(_time.GetUtcNow(), _time.GetUtcNow().AddDays(90)));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
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
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Loads the server's certificate and bundle, and a CRL of the root issued now, next update in 6 hours.</summary>
    private RevocationSource LoadServer(MtlsRevocationOptions revocation, bool withCrl = true)
    {
        var factory = _provider.GetRequiredService<MtlsSourceFactory>();
        factory.GetCertificateSource("server", new CertificateSourceOptions { Pem = _leaf.ExportCertificatePem(), KeyPem = _leaf.ExportKeyPem() });
        var trusted = new TrustedCaOptions { Pem = _root.ExportCertificatePem() };
        if (withCrl)
        {
            var der = new CertificateRevocationListBuilder().Build(_root.Certificate, BigInteger.One, _time.GetUtcNow().AddHours(6), HashAlgorithmName.SHA256, thisUpdate: _time.GetUtcNow());
            var path = Path.Combine(_dir, "root.crl");
            File.WriteAllText(path, PemEncoding.WriteString("X509 CRL", der) + "\n");
            trusted.Crls.Path = path;
        }

        factory.GetTrustBundleSource("server", trusted, reload: NoWatch);
        var source = factory.GetRevocationSource("server", trusted, revocation, NoWatch, "Mtls:Server");
        source.Apply(new PeerValidationOptions(), revocation, "Mtls:Server:Revocation");
        return source;
    }

    private async Task<HealthReportEntry> TrustBundleAsync() =>
        (await _provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["mtls:server:trust-bundle"];

    [Fact]
    public async Task HealthChecks_CrlPastNextUpdatePlusGrace_UnhealthyNamingIssuerAndAge()
    {
        LoadServer(new MtlsRevocationOptions { CrlGracePeriod = TimeSpan.FromHours(1) });

        var fresh = await TrustBundleAsync();
        Assert.Equal(HealthStatus.Healthy, fresh.Status);
        Assert.Equal("CN=Fleet Root", fresh.Data["crl[0].issuer"]);
        Assert.Equal(0d, fresh.Data["crl[0].ageSeconds"]);
        Assert.Equal(6 * 3600d, fresh.Data["crl[0].secondsToNextUpdate"]);
        Assert.Equal("2026-11-22T18:00:00.0000000+00:00", fresh.Data["crl[0].nextUpdate"]);

        _time.Advance(TimeSpan.FromHours(6.5)); // past nextUpdate, within the hour of grace: still used by handshakes
        var inGrace = await TrustBundleAsync();
        Assert.Equal(HealthStatus.Healthy, inGrace.Status);
        Assert.Equal(6.5 * 3600d, inGrace.Data["crl[0].ageSeconds"]);

        _time.Advance(TimeSpan.FromHours(1)); // past nextUpdate + grace: fail closed
        var stale = await TrustBundleAsync();
        Assert.Equal(HealthStatus.Unhealthy, stale.Status);
        Assert.Contains("the CRL of CN=Fleet Root is stale (age 0.07:30:00, nextUpdate 2026-11-22 18:00:00Z, grace 01:00:00)", stale.Description, StringComparison.Ordinal);
        Assert.Contains("fail closed", stale.Description, StringComparison.Ordinal);
        Assert.Equal(7.5 * 3600d, stale.Data["crl[0].ageSeconds"]);
        Assert.Equal(-1.5 * 3600d, stale.Data["crl[0].secondsToNextUpdate"]);
    }

    [Fact]
    public async Task HealthChecks_StaleCrlWithAllowStaleCrl_Degraded()
    {
        LoadServer(new MtlsRevocationOptions { AllowStaleCrl = true });

        _time.Advance(TimeSpan.FromHours(7));
        var stale = await TrustBundleAsync();

        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("the CRL of CN=Fleet Root is stale", stale.Description, StringComparison.Ordinal);
        Assert.Contains("fail open", stale.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthChecks_StaleCrl_ReadinessUnaffected()
    {
        LoadServer(new MtlsRevocationOptions());
        _time.Advance(TimeSpan.FromHours(7));

        Assert.Equal(HealthStatus.Unhealthy, (await TrustBundleAsync()).Status);
        // A stale CRL refuses peers of one issuer; it does not stop this app serving, and every replica shares it.
        Assert.True(_provider.GetRequiredService<MtlsSourceRegistry>().IsReady());
    }

    [Fact]
    public async Task HealthChecks_FailedCrlReload_DegradedWithError()
    {
        LoadServer(new MtlsRevocationOptions());
        File.WriteAllText(Path.Combine(_dir, "root.crl"), "-----BEGIN X509 CRL-----\nMII");
        _provider.GetRequiredService<MtlsSourceFactory>().ReloadAll();

        var entry = await TrustBundleAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("the last CRL reload failed", entry.Description, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:TrustedCa:Crls:Path", (string)entry.Data["crlLastReloadError"], StringComparison.Ordinal);
        Assert.Equal("CN=Fleet Root", entry.Data["crl[0].issuer"]); // the last good CRL is still shown and used
    }

    [Fact]
    public async Task HealthChecks_NoCrlConfigured_OutputUnchanged()
    {
        var deny = Path.Combine(_dir, "deny.txt");
        File.WriteAllText(deny, "spiffe://example.org/ns/prod/sa/orders\n");
        // A denylist file alone creates a revocation source without CRLs.
        LoadServer(new MtlsRevocationOptions { DenyPath = deny }, withCrl: false);
        _time.Advance(TimeSpan.FromDays(30));

        var entry = await TrustBundleAsync();

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(["kind", "lastSuccessfulLoad", "lifetimeRemaining", "notAfter", "secondsToExpiry", "source", "subject", "thumbprintSha256"], entry.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("The trust-bundle for 'server' is valid: CN=Fleet Root until 2027-11-22 12:00:00Z.", entry.Description);
    }

    [Fact]
    public void Metrics_CrlAgeGauge_PerSourceAndIssuer()
    {
        LoadServer(new MtlsRevocationOptions());
        _time.Advance(TimeSpan.FromMinutes(90));
        var meters = _provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var age = new MetricCollector<double>(meters, MtlsDiagnostics.MeterName, MtlsDiagnostics.CrlAgeInstrument);
        using var expiry = new MetricCollector<double>(meters, MtlsDiagnostics.MeterName, MtlsDiagnostics.TimeToExpiryInstrument);

        age.RecordObservableInstruments();
        expiry.RecordObservableInstruments();

        var measurement = Assert.Single(age.GetMeasurementSnapshot());
        Assert.Equal(5400d, measurement.Value);
        Assert.Equal("server", measurement.Tags["mtls.source.name"]);
        Assert.Equal("CN=Fleet Root", measurement.Tags["mtls.crl.issuer"]);
        var nextUpdate = Assert.Single(expiry.GetMeasurementSnapshot(), m => (string?)m.Tags["mtls.certificate.kind"] == "crl");
        Assert.Equal(4.5 * 3600d, nextUpdate.Value);
    }
}
