using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mtls.Extensions.AspNetCore.TestApp;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>The PKI every server test shares: a root, an issuing CA, and files on disk.</summary>
public sealed class TestPkiFixture : IDisposable
{
    public const string OrdersId = "spiffe://example.org/ns/prod/sa/orders";
    public const string BillingId = "spiffe://example.org/ns/prod/sa/billing";

    public TestPkiFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mtls-server-tests-").FullName;
        Root = TestPki.CreateRoot("Fleet Root");
        Issuing = Root.CreateIntermediate("Fleet Issuing CA");
        Server = Issuing.IssueLocalhostServer("inventory", "spiffe://example.org/ns/prod/sa/inventory");
        Orders = Issuing.IssueClient("orders", OrdersId);
        Billing = Issuing.IssueClient("billing", BillingId);
        CaPath = Root.WriteCertificatePem(Path.Combine(Directory, "ca.pem"));
        ServerCertPath = Path.Combine(Directory, "server.pem");
        ServerKeyPath = Path.Combine(Directory, "server.key");
        Server.WritePem(ServerCertPath, ServerKeyPath);
    }

    public string Directory { get; }
    public TestCertificateAuthority Root { get; }
    public TestCertificateAuthority Issuing { get; }
    public TestCertificate Server { get; }
    public TestCertificate Orders { get; }
    public TestCertificate Billing { get; }
    public string CaPath { get; }
    public string ServerCertPath { get; }
    public string ServerKeyPath { get; }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        Server.Dispose();
        Orders.Dispose();
        Billing.Dispose();
        Issuing.Dispose();
        Root.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public enum EndpointWiring
{
    /// <summary>listenOptions.UseMutualTls().</summary>
    UseMutualTls,

    /// <summary>--urls https://127.0.0.1:0, through Kestrel's HTTPS defaults.</summary>
    Urls,

    /// <summary>--urls http://127.0.0.1:0 only: no TLS at all.</summary>
    PlainHttp,
}

/// <summary>The test app on real Kestrel at 127.0.0.1:0, configured only through Mtls:Server:* keys.</summary>
public sealed class MtlsTestHost : WebApplicationFactory<TestAppMarker>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly EndpointWiring _wiring;
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly Action<IConfigurationBuilder>? _configureConfiguration;

    public MtlsTestHost(TestPkiFixture pki, IDictionary<string, string?>? settings = null, EndpointWiring wiring = EndpointWiring.UseMutualTls, Action<IServiceCollection>? configureServices = null, Action<IConfigurationBuilder>? configureConfiguration = null)
    {
        Pki = pki;
        _configureServices = configureServices;
        _configureConfiguration = configureConfiguration;
        _wiring = wiring;
        _settings = new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Path"] = pki.ServerCertPath,
            ["Mtls:Server:Certificate:KeyPath"] = pki.ServerKeyPath,
            ["Mtls:Server:TrustedCa:Path"] = pki.CaPath,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        if (wiring == EndpointWiring.UseMutualTls)
        {
            UseKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseMutualTls()));
        }
        else
        {
            _settings["urls"] = wiring == EndpointWiring.PlainHttp ? "http://127.0.0.1:0" : "https://127.0.0.1:0";
            UseKestrel();
        }
    }

    public TestPkiFixture Pki { get; }

    public Uri BaseAddress => ClientOptions.BaseAddress;

    public MetricCollector<long> CollectValidations() =>
        new(Services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ValidationsInstrument);

    public HttpClient CreateMtlsClient(TestCertificate? clientCertificate, bool sendChain = true, int maxConnections = int.MaxValue, X509Certificate2? trustedRoot = null) =>
        CreateMtlsClient(
            clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate.Certificate, sendChain ? clientCertificate.IntermediatesCollection() : [], offline: true),
            maxConnections,
            trustedRoot);

    public HttpClient CreateMtlsClient(SslStreamCertificateContext? clientCertificate, int maxConnections = int.MaxValue, X509Certificate2? trustedRoot = null)
    {
        var root = trustedRoot ?? Pki.Root.PublicCopy();
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateContext = clientCertificate,
                RemoteCertificateValidationCallback = (_, cert, sent, _) =>
                {
                    if (cert is null) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.ExtraStore.AddRange(sent!.ChainPolicy.ExtraStore);
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(root);
                    chain.ChainPolicy.DisableCertificateDownloads = true;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build((X509Certificate2)cert);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration(c =>
        {
            c.AddInMemoryCollection(_settings);
            _configureConfiguration?.Invoke(c);
        });
        if (_configureServices is not null)
        {
            builder.ConfigureServices(_configureServices);
        }
    }

    protected override void ConfigureClient(HttpClient client)
    {
    }
}
