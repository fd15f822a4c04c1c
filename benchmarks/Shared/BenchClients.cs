using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Benchmarks.Shared;

/// <summary>
/// The clients the client benchmarks compare, built the same way by the load harness (<c>clients</c>) and the
/// BenchmarkDotNet allocation benchmark, so both measure the same five clients.
/// </summary>
internal static class BenchClients
{
    /// <summary>The SPIFFE ID of the benchmarks' server certificate.</summary>
    public const string ServerId = "spiffe://example.org/ns/default/sa/inventory";

    /// <summary>A raw handler presenting the client certificate with its intermediates and pinning the root.</summary>
    public static SocketsHttpHandler RawHandler(SslStreamCertificateContext certificate, X509Certificate2 root)
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

    /// <summary>A factory client over <see cref="RawHandler"/>, with or without the standard resilience handler.</summary>
    public static (HttpClient Client, ServiceProvider Provider) Factory(SslStreamCertificateContext certificate, X509Certificate2 root, Uri baseAddress, bool standard)
    {
        var services = new ServiceCollection();
        var builder = services.AddHttpClient("raw", c => c.BaseAddress = baseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => RawHandler(certificate, root))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan); // no handler (and connection) turnover inside a measurement
        if (standard)
        {
            builder.AddStandardResilienceHandler();
        }

        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IHttpClientFactory>().CreateClient("raw"), provider);
    }

    /// <summary>An <c>AddMtlsHttpClient</c> client with the same certificate and trust, resilience on or off.</summary>
    public static (HttpClient Client, ServiceProvider Provider) Mtls(TestCertificate client, TestCertificateAuthority root, Uri baseAddress, bool resilience)
    {
        var services = new ServiceCollection();
        services.AddMtlsHttpClient("bench", o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Pem = client.ExportCertificatePem() + client.ExportKeyPem();
            o.TrustedCa.Pem = root.ExportCertificatePem();
            o.ExpectedServer = ServerId;
            o.Resilience.Enabled = resilience;
            o.Reload.Watch = false;
        }).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IHttpClientFactory>().CreateClient("bench"), provider);
    }
}
