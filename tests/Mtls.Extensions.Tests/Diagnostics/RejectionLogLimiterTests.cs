using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

public sealed class RejectionLogLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddMtlsCore();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void RejectionLogLimiter_Flood_FirstNPerIntervalInFullThenOneSummaryAndAllCounted()
    {
        using var provider = Build(new() { ["Mtls:Logging:RejectionLogBurst"] = "3", ["Mtls:Logging:RejectionLogInterval"] = "00:01:00" });
        var validator = provider.GetRequiredService<PeerCertificateValidator>();
        using var collector = new MetricCollector<long>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ValidationsInstrument);
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var self = TestPki.CreateSelfSignedLeaf("self", o => o.ForClient(), _time);
        var trust = root.ToTrustBundle();

        for (var i = 0; i < 20; i++)
        {
            validator.Validate(self.PublicCopy(), null, trust, PeerRole.Client);
        }

        for (var i = 0; i < 5; i++)
        {
            validator.Validate((X509Certificate2?)null, null, trust, PeerRole.Client);
        }

        var logs = provider.GetFakeLogCollector();
        Assert.Equal(3, logs.GetSnapshot().Count(r => r.Id.Id == 201));
        Assert.Equal(3, logs.GetSnapshot().Count(r => r.Id.Id == 203));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 204);
        Assert.Equal(25, collector.GetMeasurementSnapshot().Sum(m => m.Value));

        // The interval ends: one summary per reason, even though no further rejection arrived.
        _time.Advance(TimeSpan.FromMinutes(1));
        var summaries = logs.GetSnapshot().Where(r => r.Id.Id == 204).Select(r => r.Message).ToList();
        Assert.Equal(2, summaries.Count);
        Assert.Contains("17 more rejections (reason SelfSigned, 0 remote addresses) in the last 00:01:00.", summaries);
        Assert.Contains("2 more rejections (reason NoCertificate, 0 remote addresses) in the last 00:01:00.", summaries);

        // A new interval logs in full again.
        validator.Validate(self.PublicCopy(), null, trust, PeerRole.Client);
        Assert.Equal(4, logs.GetSnapshot().Count(r => r.Id.Id == 201));
    }

    [Fact]
    public void RejectionLogLimiter_NoCertificate_LoggedBelowARejectedCertificate()
    {
        using var provider = Build([]);
        var validator = provider.GetRequiredService<PeerCertificateValidator>();
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var self = TestPki.CreateSelfSignedLeaf("self", o => o.ForClient(), _time);
        validator.Validate((X509Certificate2?)null, null, root.ToTrustBundle(), PeerRole.Client);
        validator.Validate(self.PublicCopy(), null, root.ToTrustBundle(), PeerRole.Client);

        var logs = provider.GetFakeLogCollector().GetSnapshot();
        Assert.Equal(LogLevel.Information, Assert.Single(logs, r => r.Id.Id == 203).Level);
        Assert.Equal(LogLevel.Warning, Assert.Single(logs, r => r.Id.Id == 201).Level);
    }

    [Fact]
    public void LoggingOptions_Invalid_RejectedNamingTheKey()
    {
        using var provider = Build(new() { ["Mtls:Logging:RejectionLogBurst"] = "-1" });
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<MtlsLoggingOptions>>().CurrentValue);
        Assert.Contains("Mtls:Logging:RejectionLogBurst", error.Message, StringComparison.Ordinal);

        using var unknown = Build(new() { ["Mtls:Logging:RejectionBurst"] = "5" });
        Assert.Throws<InvalidOperationException>(() => unknown.GetRequiredService<IOptionsMonitor<MtlsLoggingOptions>>().CurrentValue);
    }
}
