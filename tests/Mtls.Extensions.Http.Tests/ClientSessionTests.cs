using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Http.Internal;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>The client's sessions: resumed handshakes judged like full ones, and no pooled connection outliving its server's certificate.</summary>
public sealed class ClientSessionTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    private static ServiceProvider CreateClient(Uri baseAddress, string caPath, (string Cert, string Key) certificate, TimeProvider time, MtlsResumption resumption = MtlsResumption.Enabled)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(time);
        services.AddMtlsHttpClient(Name, o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Path = certificate.Cert;
            o.Certificate.KeyPath = certificate.Key;
            o.TrustedCa.Path = caPath;
            o.ExpectedServer = ClientPki.InventoryId;
            o.Resumption = resumption;
            o.Resilience.Enabled = false;
        });
        return services.BuildServiceProvider();
    }

    private static MetricCollector<long> Collect(IServiceProvider services, string instrument) =>
        new(services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, instrument);

    [Fact]
    public async Task ClientSession_ServerCertificateExpires_PooledConnectionCarriesNoNewRequest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var shortLived = pki.Issuing.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").WithIpAddresses(System.Net.IPAddress.Loopback).WithSpiffeId(ClientPki.InventoryId)
            .ValidBetween(time.GetUtcNow().AddMinutes(-5), time.GetUtcNow().AddHours(1)));
        var (serverCert, serverKey) = pki.Write(shortLived);
        await using var server = await TestServer.StartMtlsAsync(serverCert, serverKey, pki.CaPath);
        using var provider = CreateClient(server.BaseAddress, pki.CaPath, pki.Write(pki.Orders), time);
        using var closed = Collect(provider, MtlsDiagnostics.ConnectionsClosedInstrument);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);
        var pool = provider.GetRequiredService<MtlsClientHandlerPools>().Get(Name);

        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        Assert.Equal(1, server.Connections);

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(1, pool.Generation);
        // RFC 5280: still valid during its notAfter second, so the pool keeps its connection until that second ends.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, pool.Generation);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, pool.Generation);
        var measurement = Assert.Single(closed.GetMeasurementSnapshot());
        Assert.Equal("certificate_expired", measurement.Tags["mtls.close.reason"]);

        // The next request needs a new connection, and the expired server certificate is refused on it.
        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        Assert.Equal(MtlsRejectionReason.Expired, error.Reason);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task ClientSession_Resumed_JudgedOnBothSidesAndCountedAsResumedByTheServer()
    {
        var (serverCert, serverKey) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(serverCert, serverKey, pki.CaPath);
        using var serverHandshakes = Collect(server.Services, MtlsDiagnostics.HandshakesInstrument);
        // SslStream caches client sessions by host name only (never for an IP address).
        var byName = new UriBuilder(server.BaseAddress) { Host = "localhost" }.Uri;
        using var provider = CreateClient(byName, pki.CaPath, pki.Write(pki.Orders), TimeProvider.System);
        using var clientHandshakes = Collect(provider, MtlsDiagnostics.HandshakesInstrument);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        for (var i = 0; i < 3; i++)
        {
            // Connection: close, so every request opens a new connection, resuming the session of the last one.
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/whoami", UriKind.Relative)) { Headers = { ConnectionClose = true } };
            using var response = await client.SendAsync(request);
            Assert.Equal(pki.Orders.ThumbprintSha256, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, server.Connections);
        var resumedByServer = serverHandshakes.GetMeasurementSnapshot().Count(m => m.Tags["tls.resumed"] is true && !m.Tags.ContainsKey("error.type"));
        var all = clientHandshakes.GetMeasurementSnapshot();
        Assert.All(all, m => Assert.False(m.Tags.ContainsKey("error.type")));
        Assert.Equal(2, resumedByServer);
        // On a resumed session SslStream hands the client's callback the chain the session kept: every connection's server
        // certificate is judged against the current trust, resumed or not (counted as full: the client cannot tell them apart).
        Assert.Equal(3, all.Count);
    }
}
