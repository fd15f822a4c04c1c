using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>The client against nginx, an mTLS server nobody here wrote.</summary>
public sealed class NginxInteropTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "nginx";

    [InteropFact("nginx")]
    public async Task Nginx_RightCaAndIdentity_CallSucceeds()
    {
        using var nginx = await NginxServer.StartAsync(pki.Server, pki.CaPath);
        await using var provider = Client(nginx.BaseAddress, pki.Orders, ClientPki.InventoryId);

        var body = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("CN=orders", body, StringComparison.Ordinal);
        Assert.EndsWith("|SUCCESS", body, StringComparison.Ordinal);
    }

    [InteropFact("nginx")]
    public async Task Nginx_CertificateFromAnotherCa_RejectedByTheClient()
    {
        using var foreign = pki.Other.CreateIntermediate("Other Issuing CA");
        using var impostor = foreign.IssueLocalhostServer("impostor", ClientPki.InventoryId);
        using var nginx = await NginxServer.StartAsync(impostor, pki.CaPath);
        await using var provider = Client(nginx.BaseAddress, pki.Orders, expectedServer: null);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Client, error.RejectedBy);
        Assert.Equal(MtlsRejectionReason.UntrustedRoot, error.Reason);
        Assert.Contains("CN=Other Root", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, nginx.RequestsLogged);
    }

    [InteropFact("nginx")]
    public async Task Nginx_HostNameNotInTheSans_Rejected()
    {
        using var misnamed = pki.Issuing.IssueLeaf("127.0.0.1", o => o.ForServer().WithDnsNames("inventory.internal"));
        using var nginx = await NginxServer.StartAsync(misnamed, pki.CaPath);
        await using var provider = Client(nginx.BaseAddress, pki.Orders, expectedServer: null);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/", UriKind.Relative)));

        Assert.Equal(MtlsRejectionReason.NameMismatch, error.Reason);
    }

    [InteropFact("nginx")]
    public async Task Nginx_SpiffeIdMismatch_Rejected()
    {
        using var nginx = await NginxServer.StartAsync(pki.Server, pki.CaPath);
        await using var provider = Client(nginx.BaseAddress, pki.Orders, "spiffe://example.org/ns/prod/sa/payments");

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/", UriKind.Relative)));

        Assert.Equal(MtlsRejectionReason.IdentityNotAllowed, error.Reason);
        Assert.Equal(0, nginx.RequestsLogged);
    }

    [InteropFact("nginx")]
    public async Task Nginx_RejectsOurCertificate_RejectionByTheServerOnceAndNotRetried()
    {
        // nginx completes the handshake and answers HTTP 400 "The SSL certificate error" when ssl_verify_client fails:
        // the client recognises that page as the server rejecting our certificate, and never retries it.
        using var rogue = pki.Other.IssueClient("rogue", ClientPki.OrdersId);
        using var nginx = await NginxServer.StartAsync(pki.Server, pki.CaPath);
        await using var provider = Client(nginx.BaseAddress, rogue, ClientPki.InventoryId);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Equal(MtlsRejectionReason.RejectedByPeer, error.Reason);
        Assert.Contains("HTTP 400 'The SSL certificate error'", error.Message, StringComparison.Ordinal);
        Assert.Contains("CN=rogue", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, nginx.RequestsLogged);
    }

    [InteropFact("nginx")]
    public void Nginx_RejectsOurCertificateOnSynchronousSend_RecognisedToo()
    {
        using var rogue = pki.Other.IssueClient("rogue", ClientPki.OrdersId);
        using var nginx = NginxServer.StartAsync(pki.Server, pki.CaPath).GetAwaiter().GetResult();
        using var provider = Client(nginx.BaseAddress, rogue, ClientPki.InventoryId);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));

        var error = Assert.Throws<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).Send(request));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
    }

    [InteropFact("nginx")]
    public async Task Nginx_BadRequestThatIsNotItsCertificateErrorPage_StaysAnHttpAnswer()
    {
        using var nginx = await NginxServer.StartAsync(pki.Server, pki.CaPath);
        await using var provider = Client(nginx.BaseAddress, pki.Orders, ClientPki.InventoryId);

        // A request nginx refuses for another reason (a malformed Host header) answers 400 with a different page.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Host", "bad host name");
        using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("400 Bad Request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private ServiceProvider Client(Uri baseAddress, TestCertificate certificate, string? expectedServer)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMtlsHttpClient(Name, o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Pem = certificate.ExportCertificatePem() + certificate.ExportKeyPem();
            o.TrustedCa.Path = pki.CaPath;
            o.ExpectedServer = expectedServer;
            o.Resilience.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        });
        return services.BuildServiceProvider();
    }
}
