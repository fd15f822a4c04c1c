using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
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
        var server = issuing.IssueLocalhostServer("inventory", "spiffe://example.org/ns/default/sa/inventory");
        var client = issuing.IssueClient("bench", "spiffe://example.org/ns/default/sa/bench");
        _owned.AddRange([root, issuing, server, client]);
        root.WriteCertificatePem(Path.Combine(_directory, "ca.pem"));
        server.WritePem(Path.Combine(_directory, "server.pem"), Path.Combine(_directory, "server.key"));
        var nginx = await NginxServer.StartAsync(_directory);
        _owned.Add(nginx);
        _ping = new Uri(nginx.BaseAddress, "/ping");
        var context = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true);
        var rootCertificate = root.PublicCopy();

        _raw = new HttpClient(RawHandler(context, rootCertificate));
        _owned.Add(_raw);
        _factory = FactoryClient(context, rootCertificate, standard: false);
        _factoryStandard = FactoryClient(context, rootCertificate, standard: true);
        _mtlsOff = MtlsClient(client, root, nginx.BaseAddress, resilience: false);
        _mtlsDefault = MtlsClient(client, root, nginx.BaseAddress, resilience: true);
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

    private static SocketsHttpHandler RawHandler(SslStreamCertificateContext certificate, X509Certificate2 root)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        return new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = certificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            },
        };
    }

    private HttpClient FactoryClient(SslStreamCertificateContext certificate, X509Certificate2 root, bool standard)
    {
        var services = new ServiceCollection();
        var builder = services.AddHttpClient("raw").ConfigurePrimaryHttpMessageHandler(() => RawHandler(certificate, root)).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        if (standard)
        {
            builder.AddStandardResilienceHandler();
        }

        var provider = services.BuildServiceProvider();
        _owned.Add(provider);
        return provider.GetRequiredService<IHttpClientFactory>().CreateClient("raw");
    }

    private HttpClient MtlsClient(TestCertificate client, TestCertificateAuthority root, Uri baseAddress, bool resilience)
    {
        var services = new ServiceCollection();
        services.AddMtlsHttpClient("bench", o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Pem = client.ExportCertificatePem() + client.ExportKeyPem();
            o.TrustedCa.Pem = root.ExportCertificatePem();
            o.ExpectedServer = "spiffe://example.org/ns/default/sa/inventory";
            o.Resilience.Enabled = resilience;
            o.Reload.Watch = false;
        }).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        var provider = services.BuildServiceProvider();
        _owned.Add(provider);
        return provider.GetRequiredService<IHttpClientFactory>().CreateClient("bench");
    }
}
