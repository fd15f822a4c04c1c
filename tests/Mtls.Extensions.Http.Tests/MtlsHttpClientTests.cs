using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Testing;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

public sealed class MtlsHttpClientTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    [Fact]
    public async Task MtlsHttpClient_PinnedServer_PresentsTheClientCertificateAndAcceptsTheServer()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders, o => o.ExpectedServer = ClientPki.InventoryId);

        var seen = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/whoami", UriKind.Relative));

        Assert.Equal(pki.Orders.ThumbprintSha256, seen);
    }

    [Fact]
    public async Task MtlsHttpClient_DefaultIdentityCheck_RequestHostAgainstTheSans()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        var byName = new UriBuilder(server.BaseAddress) { Host = "localhost" }.Uri;
        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri(byName, "/whoami")));
    }

    [Fact]
    public async Task MtlsHttpClient_ServerCertificateFromAnotherCa_RejectedByTheClientOnce()
    {
        using var foreign = pki.Other.IssueLocalhostServer("impostor", ClientPki.InventoryId);
        var (cert, key) = pki.Write(foreign);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));

        // The impostor's issuer is neither pinned nor sent: a CA not trusted here (issue 24 item 10).
        Assert.Equal(MtlsRejectionReason.UntrustedRoot, error.Reason);
        Assert.Equal(MtlsHandshakeSide.Client, error.RejectedBy);
        Assert.Equal(Name, error.ClientName);
        Assert.Contains("CN=Other Root", error.Message, StringComparison.Ordinal);
        Assert.Contains("CN=Fleet Root", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task MtlsHttpClient_HostNameNotInTheSans_RejectedAndTheCnNeverUsed()
    {
        // CN=127.0.0.1 but SANs name only another host: a CN fallback would accept it.
        using var misnamed = pki.Issuing.IssueLeaf("127.0.0.1", o => o.ForServer().WithDnsNames("inventory.internal"));
        var (cert, key) = pki.Write(misnamed);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));

        Assert.Equal(MtlsRejectionReason.NameMismatch, error.Reason);
        Assert.Equal(MtlsHandshakeSide.Client, error.RejectedBy);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task MtlsHttpClient_SpiffeIdMismatch_Rejected()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders, o => o.ExpectedServer = "spiffe://example.org/ns/prod/sa/payments");

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));

        Assert.Equal(MtlsRejectionReason.IdentityNotAllowed, error.Reason);
        Assert.Contains(ClientPki.InventoryId, error.Message, StringComparison.Ordinal);
        Assert.Contains("spiffe://example.org/ns/prod/sa/payments", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
    }

    [Theory]
    [InlineData("spiffe://example.org")]
    [InlineData("spiffe://example.org/ns/prod/*")]
    [InlineData("spiffe://example.org/ns/prod/sa/payments, spiffe://example.org/ns/prod/sa/inventory")]
    [InlineData("localhost")]
    public async Task ExpectedServer_TrustDomainsPrefixesListsAndDnsNames_Accepted(string expected)
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders, o => o.ExpectedServer = expected);

        var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task MtlsHttpClient_ServerRejectsOurCertificate_TypedExceptionAfterExactlyOneAttempt(SslProtocols protocols)
    {
        using var rogue = pki.Other.IssueClient("rogue", "spiffe://example.org/ns/prod/sa/orders");
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath, protocols);
        await using var provider = Client(server.BaseAddress, rogue);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Contains(rogue.ThumbprintSha256, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
        Assert.Equal(0, server.Requests);
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task MtlsHttpClient_BareKestrelRejectsOurCertificate_TypedExceptionAfterExactlyOneAttempt(SslProtocols protocols)
    {
        using var rogue = pki.Other.IssueClient("rogue", "spiffe://example.org/ns/prod/sa/orders");
        await using var server = await TestServer.StartBareAsync(pki.Server, pki.Root.PublicCopy(), protocols);
        await using var provider = Client(server.BaseAddress, rogue);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task MtlsHttpClient_ServerAnswers503_RetriedThenSucceeds()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        server.FlakyFailures = 2;
        await using var provider = Client(server.BaseAddress, pki.Orders, o => o.Resilience.RetryBaseDelay = TimeSpan.FromMilliseconds(10));

        var body = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/flaky", UriKind.Relative));

        Assert.Equal("recovered", body);
        Assert.Equal(3, server.FlakyHits);
    }

    [Fact]
    public async Task MtlsHttpClient_ResilienceDisabled_ServiceUnavailableNotRetried()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, pki.Orders, o => o.Resilience.Enabled = false);

        var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/flaky", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, server.FlakyHits);
    }

    [Fact]
    public async Task MtlsHttpClient_TypedClient_Works()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMtlsHttpClient<InventoryClient>(configure: o => Configure(o, server.BaseAddress, pki.Orders));
        await using var provider = services.BuildServiceProvider();

        var typed = provider.GetRequiredService<InventoryClient>();

        Assert.Equal(pki.Orders.ThumbprintSha256, await typed.WhoAmIAsync());
        Assert.NotNull(provider.GetRequiredService<IOptionsMonitor<MtlsHttpClientOptions>>().Get(nameof(InventoryClient)).BaseAddress);
    }

    [Fact]
    public async Task MtlsHttpClient_ConfigurationSectionMtlsClientsName_BoundWithEveryKey()
    {
        var (cert, key) = pki.Write(pki.Server);
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:BaseAddress"] = server.BaseAddress.ToString(),
            ["Mtls:Clients:inventory:Certificate:Path"] = clientCert,
            ["Mtls:Clients:inventory:Certificate:KeyPath"] = clientKey,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = pki.CaPath,
            ["Mtls:Clients:inventory:ExpectedServer"] = ClientPki.InventoryId,
            ["Mtls:Clients:inventory:Resilience:MaxRetryAttempts"] = "1",
        });
        builder.Services.AddMtlsHttpClient(Name);
        using var host = builder.Build();
        await host.StartAsync();

        var seen = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/whoami", UriKind.Relative));

        Assert.Equal(pki.Orders.ThumbprintSha256, seen);
        Assert.Equal(1, host.Services.GetRequiredService<IOptionsMonitor<MtlsHttpClientOptions>>().Get(Name).Resilience.MaxRetryAttempts);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("Mtls:Clients:inventory:Certificate:Pth", "/x", "Mtls:Clients:inventory:Certificate:Pth: unknown configuration key")]
    [InlineData("Mtls:Sever:Certificate:Path", "/x", "Mtls:Sever: unknown configuration section")]
    [InlineData("Mtls:Clients:inventory:ExpectedServer", "spiffe://", "Mtls:Clients:inventory:ExpectedServer")]
    [InlineData("Mtls:Clients:inventory:BaseAddress", "http://127.0.0.1:1/", "Mtls:Clients:inventory:BaseAddress")]
    [InlineData("Mtls:Clients:inventory:Resilience:MaxRetryAttempts", "-1", "Mtls:Clients:inventory:Resilience:MaxRetryAttempts")]
    public async Task MtlsHttpClient_BadConfiguration_StopsStartUpNamingTheKey(string key, string value, string named)
    {
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:Certificate:Path"] = clientCert,
            ["Mtls:Clients:inventory:Certificate:KeyPath"] = clientKey,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = pki.CaPath,
            [key] = value,
        });
        builder.Services.AddMtlsHttpClient(Name);
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MtlsHttpClient_ExplicitlyEmptyValues_MeanNotSetForEveryKey()
    {
        // A deployment switches keys from appsettings.json off with empty environment variables (Mtls__...__Directory=).
        var (cert, key) = pki.Write(pki.Server);
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:BaseAddress"] = server.BaseAddress.ToString(),
            ["Mtls:Clients:inventory:Certificate:Path"] = clientCert,
            ["Mtls:Clients:inventory:Certificate:KeyPath"] = clientKey,
            ["Mtls:Clients:inventory:Certificate:Directory"] = string.Empty,
            ["Mtls:Clients:inventory:Certificate:Layout"] = string.Empty,
            ["Mtls:Clients:inventory:Certificate:Pem"] = string.Empty,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = pki.CaPath,
            ["Mtls:Clients:inventory:ExpectedServer"] = string.Empty,
            ["Mtls:Clients:inventory:MaxChainDepth"] = string.Empty,
            ["Mtls:Clients:inventory:ConnectTimeout"] = string.Empty,
            ["Mtls:Clients:inventory:Resilience:Enabled"] = string.Empty,
        });
        builder.Services.AddMtlsHttpClient(Name);
        using var host = builder.Build();
        await host.StartAsync();

        var seen = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/whoami", UriKind.Relative));

        Assert.Equal(pki.Orders.ThumbprintSha256, seen);
        var options = host.Services.GetRequiredService<IOptionsMonitor<MtlsHttpClientOptions>>().Get(Name);
        Assert.Null(options.Certificate.Directory);
        Assert.Equal(4, options.MaxChainDepth);
        Assert.True(options.Resilience.Enabled);
        await host.StopAsync();
    }

    [Fact]
    public async Task MtlsHttpClient_MissingCertificateFile_StopsStartUpNamingTheKeyAndFile()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var missing = Path.Combine(pki.Directory, "nope", "tls.crt");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:Certificate:Path"] = missing,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = pki.CaPath,
        });
        builder.Services.AddMtlsHttpClient(Name);
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("Mtls:Clients:inventory:Certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MtlsHttpClient_NoCertificateConfigured_StartUpErrorNamingTheClient()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMtlsHttpClient(Name);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Mtls:Clients:inventory:Certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mtls:Clients:inventory:TrustedCa", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMtlsHttpClient_NullAndEmptyArguments_Rejected()
    {
        Assert.Throws<ArgumentNullException>(() => MtlsHttpClientServiceCollectionExtensions.AddMtlsHttpClient(null!, Name));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMtlsHttpClient(string.Empty));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddMtlsHttpClient(Name, (IConfiguration)null!));
    }

    internal ServiceProvider Client(Uri baseAddress, TestCertificate certificate, Action<MtlsHttpClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMtlsHttpClient(Name, o =>
        {
            Configure(o, baseAddress, certificate);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    internal void Configure(MtlsHttpClientOptions options, Uri baseAddress, TestCertificate certificate)
    {
        options.BaseAddress = baseAddress;
        options.Certificate.Pem = certificate.ExportCertificatePem() + certificate.ExportKeyPem();
        options.TrustedCa.Path = pki.CaPath;
        options.Resilience.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
    }

    public sealed class InventoryClient(HttpClient client)
    {
        public Task<string> WhoAmIAsync() => client.GetStringAsync(new Uri("/whoami", UriKind.Relative));
    }
}
