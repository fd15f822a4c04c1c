using System.Net.Security;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Benchmarks.Shared;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>
/// One keep-alive <c>GET /ping</c> against nginx (an external mTLS server, so the allocations counted are the client's
/// alone) through each client the load harness compares: the raw <see cref="SocketsHttpHandler"/>, the factory client
/// over it (with and without <c>AddStandardResilienceHandler()</c>) and <c>AddMtlsHttpClient</c> (resilience off and
/// default). The allocation column is the per-request cost of each layer; the times are single-request latencies.
/// </summary>
[MemoryDiagnoser]
public class ClientBenchmarks
{
    private readonly List<IDisposable> _owned = [];
    private string _directory = null!;
    private Uri _ping = null!;
    private HttpClient _raw = null!;
    private HttpClient _factory = null!;
    private HttpClient _factoryStandard = null!;
    private HttpClient _mtlsOff = null!;
    private HttpClient _mtlsDefault = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("mtls-bdn-client-").FullName;
        var root = TestPki.CreateRoot("Client Bench Root");
        var issuing = root.CreateIntermediate("Client Bench Issuing CA");
        var server = issuing.IssueLocalhostServer("inventory", BenchClients.ServerId);
        var client = issuing.IssueClient("bench", "spiffe://example.org/ns/default/sa/bench");
        _owned.AddRange([root, issuing, server, client]);
        root.WriteCertificatePem(Path.Combine(_directory, "ca.pem"));
        server.WritePem(Path.Combine(_directory, "server.pem"), Path.Combine(_directory, "server.key"));
        var nginx = await NginxServer.StartAsync(_directory);
        _owned.Add(nginx);
        _ping = new Uri(nginx.BaseAddress, "/ping");
        var context = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true);
        var rootCertificate = root.PublicCopy();

        _raw = new HttpClient(BenchClients.RawHandler(context, rootCertificate));
        _owned.Add(_raw);
        _factory = Own(BenchClients.Factory(context, rootCertificate, nginx.BaseAddress, standard: false));
        _factoryStandard = Own(BenchClients.Factory(context, rootCertificate, nginx.BaseAddress, standard: true));
        _mtlsOff = Own(BenchClients.Mtls(client, root, nginx.BaseAddress, resilience: false));
        _mtlsDefault = Own(BenchClients.Mtls(client, root, nginx.BaseAddress, resilience: true));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<string> RawHandler() => _raw.GetStringAsync(_ping);

    [Benchmark]
    public Task<string> FactoryClient() => _factory.GetStringAsync(_ping);

    [Benchmark]
    public Task<string> FactoryClientStandardResilience() => _factoryStandard.GetStringAsync(_ping);

    [Benchmark]
    public Task<string> MtlsClientResilienceOff() => _mtlsOff.GetStringAsync(_ping);

    [Benchmark]
    public Task<string> MtlsClientDefaultResilience() => _mtlsDefault.GetStringAsync(_ping);

    private HttpClient Own((HttpClient Client, ServiceProvider Provider) created)
    {
        _owned.Add(created.Provider);
        return created.Client;
    }
}
