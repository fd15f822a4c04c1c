using Microsoft.AspNetCore.Connections.Features;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>Open connections end when their client's trust does: gracefully, the request in flight completing.</summary>
public sealed class ConnectionLifetimeTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    /// <summary>/slow answers once the test releases it, so a request is in flight while trust changes.</summary>
    private sealed class SlowEndpoint : IStartupFilter
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Map("/slow", a => a.Run(async context =>
            {
                Entered.TrySetResult();
                await Release.Task;
                // Released once the close was counted; the close request itself is what must reach this connection first.
                if (context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
                {
                    await Task.Delay(Timeout.Infinite, lifetime.ConnectionClosedRequested).ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(10));
                }

                await context.Response.WriteAsync("done");
            }));
            next(app);
        };
    }

    private static MetricCollector<long> CollectClosed(IServiceProvider services) =>
        new(services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ConnectionsClosedInstrument);

    private static (string Reason, string Error) Closed(CollectedMeasurement<long> m) => ((string)m.Tags["mtls.close.reason"]!, (string)m.Tags["error.type"]!);

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task CaUnpinned_OpenConnectionIsClosedGracefully_InFlightRequestCompletes(string httpVersion)
    {
        var dir = Directory.CreateTempSubdirectory("mtls-close-unpin-").FullName;
        var caPath = Path.Combine(dir, "trust.pem");
        FileWriter.WriteAtomically(caPath, pki.Root.ExportCertificatePem());
        var slow = new SlowEndpoint();
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:TrustedCa:Path"] = caPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        }, configureServices: s => s.AddSingleton<IStartupFilter>(slow));
        host.StartServer();
        using var closed = CollectClosed(host.Services);
        using var client = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        client.DefaultRequestVersion = Version.Parse(httpVersion);
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using (var first = await client.GetAsync("/ping"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(Version.Parse(httpVersion), first.Version);
        }

        var inFlight = client.GetAsync("/slow");
        await slow.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, host.Services.GetRequiredService<MutualTlsServer>().OpenConnections);

        using var otherRoot = TestPki.CreateRoot("Other Root");
        FileWriter.WriteAtomically(caPath, otherRoot.ExportCertificatePem());
        await closed.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(15));
        Assert.Equal(("trust_changed", nameof(MtlsRejectionReason.UntrustedRoot)), Closed(Assert.Single(closed.GetMeasurementSnapshot())));

        slow.Release.SetResult();
        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync());
        if (httpVersion == "1.1")
        {
            Assert.True(response.Headers.ConnectionClose, "HTTP/1.1 ends the connection with Connection: close on the in-flight response");
        }

        // The next request needs a new connection, whose handshake the new trust refuses.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/ping"));
        Assert.Equal(0, host.Services.GetRequiredService<MutualTlsServer>().OpenConnections);
        Directory.Delete(dir, recursive: true);
    }

    // A keep-alive peer nobody here wrote: Python's http.client over ssl, one connection for both requests.
    private const string PythonKeepAliveClient = """
        import http.client, ssl, sys
        port, cert, key, ca = sys.argv[1:5]
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(cert, key)
        c = http.client.HTTPSConnection('localhost', int(port), context=ctx, timeout=30)
        c.request('GET', '/ping'); r = c.getresponse(); print('first', r.status, r.read().decode())
        c.request('GET', '/slow'); r = c.getresponse(); body = r.read().decode()
        print('slow', r.status, body, 'connection:', r.getheader('Connection'))
        print('closed', c.sock is None)
        """;

    [InteropFact("python3")]
    public async Task CaUnpinned_PythonKeepAliveConnection_InFlightRequestCompletesWithConnectionClose()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-close-python-").FullName;
        var caPath = Path.Combine(dir, "trust.pem");
        FileWriter.WriteAtomically(caPath, pki.Root.ExportCertificatePem());
        var slow = new SlowEndpoint();
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:TrustedCa:Path"] = caPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        }, configureServices: s => s.AddSingleton<IStartupFilter>(slow));
        host.StartServer();
        using var closed = CollectClosed(host.Services);
        var cert = Path.Combine(dir, "orders.pem");
        var key = Path.Combine(dir, "orders.key");
        pki.Orders.WritePem(cert, key);

        var python = ExternalProcess.RunAsync("python3", ["-c", PythonKeepAliveClient, host.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cert, key, pki.CaPath]);
        await slow.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var otherRoot = TestPki.CreateRoot("Other Root");
        FileWriter.WriteAtomically(caPath, otherRoot.ExportCertificatePem());
        await closed.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(15));
        slow.Release.SetResult();
        var (code, output) = await python;

        Assert.True(code == 0, output);
        Assert.Contains("first 200 ok", output, StringComparison.Ordinal);
        Assert.Contains("slow 200 done connection: close", output, StringComparison.Ordinal);
        Assert.Contains("closed True", output, StringComparison.Ordinal);
        Assert.Equal(("trust_changed", nameof(MtlsRejectionReason.UntrustedRoot)), Closed(Assert.Single(closed.GetMeasurementSnapshot())));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task ClientCertificateExpires_OpenConnection_IsClosedAtExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var shortLived = pki.Issuing.IssueLeaf("short-lived", o => o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId).ValidBetween(time.GetUtcNow().AddMinutes(-5), time.GetUtcNow().AddHours(1)));
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddSingleton<TimeProvider>(time));
        host.StartServer();
        using var closed = CollectClosed(host.Services);
        using var client = host.CreateMtlsClient(shortLived, maxConnections: 1);
        Assert.Equal("ok", await client.GetStringAsync("/ping"));

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Empty(closed.GetMeasurementSnapshot());
        Assert.Equal("ok", await client.GetStringAsync("/ping"));   // still the same, still valid connection

        // Validation accepts the whole notAfter second (RFC 5280, one-second resolution): the connection ends when it ends.
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(("certificate_expired", nameof(MtlsRejectionReason.Expired)), Closed(Assert.Single(closed.GetMeasurementSnapshot())));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/ping"));
    }

    [Fact]
    public async Task PeerRemovedFromAllowedPeers_OpenConnectionIsClosed_OtherPeerKeepsItsConnection()
    {
        var configuration = new ReloadableConfiguration(new Dictionary<string, string?>
        {
            ["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.OrdersId,
            ["Mtls:Server:AllowedPeers:1"] = TestPkiFixture.BillingId,
        });
        using var host = new MtlsTestHost(pki, configureConfiguration: c => c.Add(configuration));
        host.StartServer();
        using var closed = CollectClosed(host.Services);
        using var orders = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        using var billing = host.CreateMtlsClient(pki.Billing, maxConnections: 1);
        Assert.Equal("ok", await orders.GetStringAsync("/ping"));
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));

        configuration.Replace("Mtls:Server:AllowedPeers", new Dictionary<string, string?> { ["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.BillingId });

        Assert.Equal(("trust_changed", nameof(MtlsRejectionReason.IdentityNotAllowed)), Closed(Assert.Single(closed.GetMeasurementSnapshot())));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => orders.GetStringAsync("/ping"));
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));
        Assert.Single(closed.GetMeasurementSnapshot());
    }
}
