using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Spiffe.Testing;
using Mtls.Extensions.Testing;
using Xunit.Abstractions;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>
/// The library's server and client, each fed by its own fake Workload API (two workloads, two agents),
/// through real handshakes on 127.0.0.1.
/// </summary>
public sealed class WorkloadApiIntegrationTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly SpiffePki _pki = new();
    private readonly List<IDisposable> _certificates = [];
    private FakeWorkloadApi _serverApi = null!;
    private FakeWorkloadApi _clientApi = null!;

    public async Task InitializeAsync()
    {
        _serverApi = await FakeWorkloadApi.StartAsync();
        _clientApi = await FakeWorkloadApi.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _serverApi.DisposeAsync();
        await _clientApi.DisposeAsync();
    }

    public void Dispose()
    {
        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }

        _pki.Dispose();
    }

    [Fact]
    public async Task Rotation_TwentyTimesUnderLoad_ZeroFailedRequestsAndNewSvidServed()
    {
        var server0 = Track(_pki.IssueServer());
        var client0 = Track(_pki.IssueClient());
        _serverApi.Publish(_pki.Svid(server0));
        _clientApi.Publish(_pki.Svid(client0));
        await using var server = await SpiffeServer.StartAsync(ServerSettings());
        using var client = new SpiffeClient(ClientSettings(server.BaseAddress));
        var http = client.CreateClient();
        Assert.Equal(client0.ThumbprintSha256, await http.GetStringAsync("/whoami"));
        var serverSource = server.CertificateSource(_serverApi.Address);
        var clientSource = client.CertificateSource(_clientApi.Address);

        var latencies = new List<double>();
        await using (var load = new LoadLoop(http))
        {
            for (var i = 0; i < 20; i++)
            {
                var nextServer = Track(_pki.IssueServer());
                var nextClient = Track(_pki.IssueClient());
                var serverRotated = ChangeTokens.Next(serverSource.GetChangeToken());
                var clientRotated = ChangeTokens.Next(clientSource.GetChangeToken());
                var clock = Stopwatch.StartNew();
                _serverApi.Publish(_pki.Svid(nextServer));
                await serverRotated.WaitAsync(Wait);
                using var presented = await server.HandshakeAsync(nextClient.Certificate);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                Assert.Equal(nextServer.ThumbprintSha256, presented.GetCertHashString(HashAlgorithmName.SHA256));

                _clientApi.Publish(_pki.Svid(nextClient));
                await clientRotated.WaitAsync(Wait);
                Assert.Equal(nextClient.ThumbprintSha256, clientSource.Current.ThumbprintSha256);
            }

            // Recycling is asynchronous to the token: once the client logs the recycle to the new SVID (event 452, logged
            // after the new handler is in place), a new connection carries it.
            var latest = clientSource.Current.ThumbprintSha256;
            await client.WaitForLogAsync(r => r.Id.Id == 452 && r.Message.Contains(latest, StringComparison.Ordinal), Wait, "the client recycling to the last SVID");
            var seen = await http.GetStringAsync("/whoami");

            Assert.Equal(clientSource.Current.ThumbprintSha256, seen);
            Assert.Empty(load.Failures);
            Assert.True(load.Succeeded > 20, $"only {load.Succeeded} requests ran");
            output.WriteLine($"{load.Succeeded} requests, {load.Failures.Count} failed, over 20 rotations of both SVIDs.");
        }

        latencies.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Workload API update -> first handshake with the new SVID (ms): median {latencies[latencies.Count / 2]:F1}, max {latencies[^1]:F1}; all: {string.Join(", ", latencies.Select(l => l.ToString("F1", CultureInfo.InvariantCulture)))}"));
    }

    [Fact]
    public async Task StreamDropped_RetriedWhileDown_HealthDegradedThenRestoredWithoutAFailedRequest()
    {
        _serverApi.Publish(_pki.Svid(Track(_pki.IssueServer())));
        _clientApi.Publish(_pki.Svid(Track(_pki.IssueClient())));
        await using var server = await SpiffeServer.StartAsync(ServerSettings());
        using var client = new SpiffeClient(ClientSettings(server.BaseAddress));
        var http = client.CreateClient();
        await http.GetStringAsync("/whoami");
        var serverSource = server.CertificateSource(_serverApi.Address);
        var health = server.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        await using (var load = new LoadLoop(http))
        {
            var calls = _serverApi.Calls;
            _serverApi.FailWith(StatusCode.Unavailable, "agent restarting");
            _serverApi.DropStreams();

            // The retry was refused too: the stream is down, and has been since the drop.
            await _serverApi.WaitForCallsAsync(calls + 1).WaitAsync(Wait);
            var report = await health.CheckHealthAsync();
            Assert.Equal(HealthStatus.Degraded, report.Status);
            var before = load.Succeeded;
            await http.GetStringAsync("/whoami");

            // The agent is back, with a rotated SVID: the client reconnects and the server serves it.
            var rotated = ChangeTokens.Next(serverSource.GetChangeToken());
            var next = Track(_pki.IssueServer());
            _serverApi.Publish(_pki.Svid(next));
            _serverApi.FailWith(null);
            await rotated.WaitAsync(Wait);
            Assert.Equal(next.ThumbprintSha256, serverSource.Current.ThumbprintSha256);
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
            Assert.True(load.Succeeded > before);
            Assert.Empty(load.Failures);
        }
    }

    [Fact]
    public async Task Federation_PeerAcceptedByOwnDomainBundle_RefusedWhenItsCaIsOnlyInAnotherDomainsBundle()
    {
        _serverApi.Publish(new FakeX509Context
        {
            Svids = [_pki.Svid(Track(_pki.IssueServer()))],
            FederatedBundles = new Dictionary<string, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>> { ["spiffe://partner.org"] = [_pki.PartnerRoot.PublicCopy()] },
        });
        await using var server = await SpiffeServer.StartAsync(ServerSettings());
        var partner = Track(_pki.IssueClient(SpiffePki.PartnerClientId, _pki.PartnerRoot));
        var forgedPartner = Track(_pki.IssueClient(SpiffePki.PartnerClientId, _pki.Root));
        var forgedLocal = Track(_pki.IssueClient(SpiffePki.ClientId, _pki.PartnerRoot));
        var local = Track(_pki.IssueClient(SpiffePki.ClientId, _pki.Root));

        Assert.Equal(partner.ThumbprintSha256, await Call(server, partner));
        Assert.Equal(local.ThumbprintSha256, await Call(server, local));

        // partner.org's ID from example.org's CA, and example.org's ID from partner.org's CA: both CAs are trusted, neither for that domain.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => Call(server, forgedPartner));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => Call(server, forgedLocal));

        // The next message omits partner.org: its bundle is gone, and so is trust in its peers.
        var trust = server.Services.GetRequiredService<MtlsSourceFactory>().GetTrustBundleSource("server", new TrustedCaOptions(), new CertificateSourceOptions { WorkloadApi = { Socket = _serverApi.Address } });
        var changed = ChangeTokens.Next(trust.GetChangeToken());
        _serverApi.Publish(_pki.Svid(Track(_pki.IssueServer())));
        await changed.WaitAsync(Wait);
        Assert.Equal(["example.org"], trust.Current.TrustDomains.Keys);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => Call(server, partner));
    }

    private static async Task<string> Call(SpiffeServer server, TestCertificate client)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(client.Certificate, null, offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        return await http.GetStringAsync("/whoami");
    }

    private Dictionary<string, string?> ServerSettings() => new()
    {
        ["Mtls:Server:Certificate:WorkloadApi:Socket"] = _serverApi.Address,
    };

    private Dictionary<string, string?> ClientSettings(Uri server) => new()
    {
        ["Mtls:Clients:inventory:BaseAddress"] = server.ToString(),
        ["Mtls:Clients:inventory:ExpectedServer"] = SpiffePki.ServerId,
        ["Mtls:Clients:inventory:Certificate:WorkloadApi:Socket"] = _clientApi.Address,
    };

    private TestCertificate Track(TestCertificate certificate)
    {
        _certificates.Add(certificate);
        return certificate;
    }
}
