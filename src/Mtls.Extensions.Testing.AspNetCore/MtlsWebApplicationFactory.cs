using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mtls.Extensions.Testing.AspNetCore;

/// <summary>
/// Runs an app that calls <c>AddMutualTls()</c> under <see cref="WebApplicationFactory{TEntryPoint}"/> on real Kestrel at
/// <c>127.0.0.1:0</c>, with a test PKI made at run time: a root (pinned as <c>Mtls:Server:TrustedCa</c>), an issuing
/// intermediate, and a <c>localhost</c> server certificate served with its intermediate. <see cref="CreateMtlsClient(TestCertificate?, bool)"/>
/// gives an <see cref="HttpClient"/> that presents any test certificate, with or without its intermediates, and trusts
/// only the test root.
/// </summary>
/// <typeparam name="TEntryPoint">A type in the app's assembly (its <c>Program</c>, or a marker type).</typeparam>
/// <remarks>
/// The app's own <c>Mtls:Server</c> certificate and CA keys (from appsettings.json, environment) are replaced: the
/// factory sets <c>Certificate:Pem</c> and <c>TrustedCa:Pem</c> and switches <c>Path</c>, <c>KeyPath</c>, <c>Directory</c>,
/// <c>Store:Thumbprint</c> and <c>TrustedCa:Path</c> off with empty values. Every other key (AllowedPeers,
/// ClientCertificateMode, …) stays the app's, or comes from <see cref="Settings"/>.
/// </remarks>
public class MtlsWebApplicationFactory<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly List<IDisposable> _owned = [];
    private readonly Lock _lock = new();
    private bool _started;

    /// <summary>Initializes a new instance of the <see cref="MtlsWebApplicationFactory{TEntryPoint}"/> class with a fresh test PKI.</summary>
    public MtlsWebApplicationFactory()
    {
        Root = TestPki.CreateRoot("Test Root CA");
        Issuing = Root.CreateIntermediate("Test Issuing CA");
        ServerCertificate = Issuing.IssueLocalhostServer("localhost");
        _owned.AddRange([ServerCertificate, Issuing, Root]);
        UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseMutualTls());
            if (ListenHttp)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
        });
    }

    /// <summary>Gets the test root CA, pinned as the server's trusted CA.</summary>
    public TestCertificateAuthority Root { get; }

    /// <summary>Gets the issuing intermediate CA under <see cref="Root"/>; <see cref="IssueClient(string, string?)"/> issues from it.</summary>
    public TestCertificateAuthority Issuing { get; }

    /// <summary>Gets the server certificate the app serves (<c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c>), issued by <see cref="Issuing"/>.</summary>
    public TestCertificate ServerCertificate { get; }

    /// <summary>Gets or sets a value indicating whether the app also listens on a plain-HTTP loopback port (a probe port; see <see cref="HttpAddress"/>).</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool ListenHttp { get; set; }

    /// <summary>Gets configuration applied after the PKI settings (e.g. <c>["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org"</c>); set it before the server starts.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets a hook that replaces the app's services after its own registrations (e.g. a <c>FakeTimeProvider</c>); set it before the server starts.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Action<IServiceCollection>? ConfigureTestServices { get; set; }

    /// <summary>Gets the mutual TLS address (<c>https://127.0.0.1:port/</c>), starting the server if needed.</summary>
    public Uri HttpsAddress => Address(Uri.UriSchemeHttps) ?? throw new InvalidOperationException("The app has no HTTPS address.");

    /// <summary>Gets the plain-HTTP address when <see cref="ListenHttp"/> is set, starting the server if needed.</summary>
    public Uri HttpAddress => Address(Uri.UriSchemeHttp) ?? throw new InvalidOperationException("Set ListenHttp = true before the server starts to get a plain-HTTP port.");

    /// <summary>Issues a client certificate (EKU clientAuth) from <see cref="Issuing"/>; disposed with the factory.</summary>
    /// <param name="name">The subject CN.</param>
    /// <param name="spiffeId">An optional SPIFFE ID URI SAN.</param>
    /// <returns>The certificate.</returns>
    public TestCertificate IssueClient(string name, string? spiffeId = null) => Own(Issuing.IssueClient(name, spiffeId));

    /// <summary>
    /// Creates an <see cref="HttpClient"/> for <see cref="HttpsAddress"/> that presents <paramref name="clientCertificate"/>
    /// (any test certificate: from this PKI, another one, expired, wrong usage…) and trusts only <see cref="Root"/>.
    /// </summary>
    /// <param name="clientCertificate">The certificate to present; <see langword="null"/> presents none.</param>
    /// <param name="sendIntermediates">Whether the handshake sends the certificate's intermediates (the default), or only the leaf.</param>
    /// <returns>The client; dispose it.</returns>
    public HttpClient CreateMtlsClient(TestCertificate? clientCertificate, bool sendIntermediates = true)
    {
        var root = Root.PublicCopy();
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateContext = clientCertificate is null
                    ? null
                    : SslStreamCertificateContext.Create(clientCertificate.Certificate, sendIntermediates ? clientCertificate.IntermediatesCollection() : [], offline: true),
                RemoteCertificateValidationCallback = (_, certificate, sent, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(root);
                    chain.ChainPolicy.DisableCertificateDownloads = true;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    if (sent is not null)
                    {
                        chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
                    }

                    return chain.Build((X509Certificate2)certificate);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = HttpsAddress };
    }

    /// <summary>Creates an <see cref="HttpClient"/> for the plain-HTTP port (<see cref="ListenHttp"/>), as a load balancer probe would call it.</summary>
    /// <returns>The client; dispose it.</returns>
    public HttpClient CreateHttpClient() => new() { BaseAddress = HttpAddress };

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        DisposeOwned();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Mtls:Server:Certificate:Pem"] = ServerCertificate.ExportCertificatePem(includeChain: true) + ServerCertificate.ExportKeyPem(),
            ["Mtls:Server:Certificate:KeyPem"] = string.Empty,
            ["Mtls:Server:Certificate:Path"] = string.Empty,
            ["Mtls:Server:Certificate:KeyPath"] = string.Empty,
            ["Mtls:Server:Certificate:Password"] = string.Empty,
            ["Mtls:Server:Certificate:Directory"] = string.Empty,
            ["Mtls:Server:Certificate:Store:Thumbprint"] = string.Empty,
            ["Mtls:Server:TrustedCa:Path"] = string.Empty,
            ["Mtls:Server:TrustedCa:Pem"] = Root.ExportCertificatePem(),
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        // App configuration (appsettings.json, environment) beats host settings: add ours last.
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings));
        if (ConfigureTestServices is { } configureServices)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            DisposeOwned();
        }
    }

    private Uri? Address(string scheme)
    {
        lock (_lock)
        {
            if (!_started)
            {
                StartServer();
                _started = true;
            }
        }

        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith(scheme + "://", StringComparison.OrdinalIgnoreCase));
        return address is null ? null : new Uri(address.TrimEnd('/') + "/");
    }

    private TestCertificate Own(TestCertificate certificate)
    {
        lock (_lock)
        {
            _owned.Add(certificate);
        }

        return certificate;
    }

    private void DisposeOwned()
    {
        lock (_lock)
        {
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }

            _owned.Clear();
        }
    }
}
