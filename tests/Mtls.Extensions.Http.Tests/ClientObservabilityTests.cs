using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Http.Internal;
using Mtls.Extensions.Testing;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>The client's log events, metrics and health checks.</summary>
public sealed class ClientObservabilityTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    [Fact]
    public async Task ClientObservability_RecyclesRejectionsAndHandlers_LoggedAndCounted()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddMtlsHttpClient(Name, o =>
        {
            o.BaseAddress = server.BaseAddress;
            o.Certificate.Path = clientCert;
            o.Certificate.KeyPath = clientKey;
            o.TrustedCa.Path = pki.CaPath;
            o.ExpectedServer = "spiffe://example.org/ns/prod/sa/payments";
            o.Reload.DebounceDelay = TimeSpan.FromMilliseconds(20);
        });
        services.AddHealthChecks().AddMtlsCertificates();
        await using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<IMeterFactory>();
        using var validations = new MetricCollector<long>(meters, MtlsDiagnostics.MeterName, MtlsDiagnostics.ValidationsInstrument);
        using var recycles = new MetricCollector<long>(meters, MtlsDiagnostics.MeterName, MtlsDiagnostics.HandlerRecyclesInstrument);
        using var active = new MetricCollector<long>(meters, MtlsDiagnostics.MeterName, MtlsDiagnostics.ActiveHandlersInstrument);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        // The server's identity is not the expected one: one rejection, with the reason as a tag and the sentence in the log.
        await Assert.ThrowsAsync<MtlsHandshakeException>(() => client.GetAsync(new Uri("/whoami", UriKind.Relative)));
        var rejection = Assert.Single(validations.GetMeasurementSnapshot());
        Assert.Equal("server", rejection.Tags["mtls.peer.role"]);
        Assert.Equal("failure", rejection.Tags["mtls.validation.result"]);
        Assert.Equal(nameof(MtlsRejectionReason.IdentityNotAllowed), rejection.Tags["error.type"]);
        var logs = provider.GetFakeLogCollector();
        var rejected = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 201);
        Assert.Contains("spiffe://example.org/ns/prod/sa/payments", rejected.Message, StringComparison.Ordinal);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 451 && r.Message.Contains(pki.Orders.ThumbprintSha256, StringComparison.Ordinal));

        // A rotation: event 452, one recycle counted, the old handler disposed (453) and the active gauge back to one.
        using var renewed = pki.Issuing.IssueClient("orders", ClientPki.OrdersId);
        FileWriter.WriteAtomically(clientKey, renewed.ExportKeyPem());
        FileWriter.WriteAtomically(clientCert, renewed.ExportCertificatePem());
        var pool = provider.GetRequiredService<MtlsClientHandlerPools>().Get(Name);
        await Eventually(() => pool.LiveHandlers == 1 && pool.Generation == 2);

        var recycled = Assert.Single(recycles.GetMeasurementSnapshot());
        Assert.Equal(Name, recycled.Tags["mtls.client"]);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 452 && r.Message.Contains(renewed.ThumbprintSha256, StringComparison.Ordinal));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 453);
        // Created 2 handlers and disposed one: the gauge reads one alive, also for a listener attached only now.
        active.RecordObservableInstruments();
        Assert.Equal(1, active.LastMeasurement?.Value);
        Assert.Equal(Name, active.LastMeasurement?.Tags["mtls.client"]);
        using var late = new MetricCollector<long>(meters, MtlsDiagnostics.MeterName, MtlsDiagnostics.ActiveHandlersInstrument);
        late.RecordObservableInstruments();
        Assert.Equal(1, late.LastMeasurement?.Value);

        // The client's certificate and trust bundle are health-checked under their own names.
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Entries["mtls:client:inventory:certificate"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["mtls:client:inventory:trust-bundle"].Status);

        // Nothing secret is ever logged.
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains("PRIVATE KEY", StringComparison.Ordinal) || r.Message.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "timed out");
            await Task.Delay(10);
        }
    }
}
