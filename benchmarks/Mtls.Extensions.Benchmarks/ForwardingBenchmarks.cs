using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks;

/// <summary>
/// Issue 27's cost target: one keep-alive <c>GET /ping</c> (an endpoint requiring an mTLS peer) on a direct mTLS
/// connection (baseline) against the same request from a trusted proxy (its own mTLS connection) carrying an RFC 9440
/// forwarded certificate whose verdict is cached. Same in-process Kestrel, same run, one connection per client.
/// </summary>
[MemoryDiagnoser]
public class ForwardingBenchmarks
{
    private const string IngressId = "spiffe://example.org/ns/infra/sa/ingress";
    private readonly List<IDisposable> _owned = [];
    private string _directory = null!;
    private WebApplication _app = null!;
    private HttpClient _direct = null!;
    private HttpClient _proxy = null!;
    private Uri _ping = null!;
    private string _clientCert = null!;
    private string _clientCertChain = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("mtls-bdn-forwarding-").FullName;
        var root = TestPki.CreateRoot("Forwarding Bench Root");
        var issuing = root.CreateIntermediate("Forwarding Bench Issuing CA");
        var server = issuing.IssueLocalhostServer("inventory");
        var client = issuing.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");
        var ingress = issuing.IssueClient("ingress", IngressId);
        _owned.AddRange([root, issuing, server, client, ingress]);
        var ca = root.WriteCertificatePem(Path.Combine(_directory, "ca.pem"));
        server.WritePem(Path.Combine(_directory, "server.pem"), Path.Combine(_directory, "server.key"));

        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Mtls:Server:Certificate:Path"] = Path.Combine(_directory, "server.pem");
        builder.Configuration["Mtls:Server:Certificate:KeyPath"] = Path.Combine(_directory, "server.key");
        builder.Configuration["Mtls:Server:TrustedCa:Path"] = ca;
        builder.Configuration["Mtls:Server:Forwarding:Proxies:0:Peer"] = IngressId;
        builder.Configuration["Mtls:Server:Forwarding:Proxies:0:Format"] = "Rfc9440";
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseMutualTls()));
        builder.AddMutualTls();
        _app = builder.Build();
        _app.MapGet("/ping", () => "ok").RequireMtlsPeer();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _ping = new Uri(new Uri(address), "/ping");

        var rootCertificate = root.PublicCopy();
        _direct = Client(client, rootCertificate);
        _proxy = Client(ingress, rootCertificate);
        _clientCert = ":" + Convert.ToBase64String(client.Certificate.RawData) + ":";
        _clientCertChain = ":" + Convert.ToBase64String(issuing.Certificate.RawData) + ":";
        if (await Direct() != "ok" || await ForwardedCached() != "ok")
        {
            throw new InvalidOperationException("The benchmark server did not answer both clients.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _direct.Dispose();
        _proxy.Dispose();
        await _app.DisposeAsync();
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "keep-alive request, direct mTLS connection")]
    public Task<string> Direct() => _direct.GetStringAsync(_ping);

    [Benchmark(Description = "keep-alive request from a trusted proxy, cached forwarded certificate")]
    public async Task<string> ForwardedCached()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _ping);
        request.Headers.TryAddWithoutValidation("Client-Cert", _clientCert);
        request.Headers.TryAddWithoutValidation("Client-Cert-Chain", _clientCertChain);
        using var response = await _proxy.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static HttpClient Client(TestCertificate certificate, X509Certificate2 root) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1,
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificateContext = SslStreamCertificateContext.Create(certificate.Certificate, certificate.IntermediatesCollection(), offline: true),
            RemoteCertificateValidationCallback = (_, cert, sent, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(root);
                chain.ChainPolicy.ExtraStore.AddRange(sent!.ChainPolicy.ExtraStore);
                chain.ChainPolicy.DisableCertificateDownloads = true;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is X509Certificate2 c && chain.Build(c);
            },
        },
    });
}
