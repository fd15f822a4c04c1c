using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>The server picks up new certificates and CA bundles from disk: no restart, no rebind, no dropped connection.</summary>
public sealed class ServerRotationTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        T last;
        do
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"{what} did not happen within 15 s; last value: {last}");
    }

    private static async Task<string> ServerThumbprintOnNewConnectionAsync(Uri address, TestCertificate client)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true),
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    seen = Convert.ToHexString(((X509Certificate2)cert!).GetCertHash(HashAlgorithmName.SHA256));
                    return true;
                },
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = address };
        Assert.Equal("ok", await http.GetStringAsync("/ping"));
        return seen!;
    }

    [Fact]
    public async Task ServerCertificateRewritten_NewHandshakesServeIt_EstablishedConnectionContinues()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-server-rotation-").FullName;
        var certPath = Path.Combine(dir, "tls.crt");
        var keyPath = Path.Combine(dir, "tls.key");
        pki.Server.WritePem(certPath, keyPath);
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Path"] = certPath,
            ["Mtls:Server:Certificate:KeyPath"] = keyPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        host.StartServer();
        using var keepAlive = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        Assert.Equal("ok", await keepAlive.GetStringAsync("/ping"));
        Assert.Equal(pki.Server.ThumbprintSha256, await ServerThumbprintOnNewConnectionAsync(host.BaseAddress, pki.Orders));

        using var next = pki.Issuing.IssueLocalhostServer("inventory-next");
        // Key first, then certificate: the torn moment in between must never be served.
        FileWriter.WriteAtomically(keyPath, next.ExportKeyPem());
        FileWriter.WriteAtomically(certPath, next.ExportCertificatePem());

        await EventuallyAsync(() => ServerThumbprintOnNewConnectionAsync(host.BaseAddress, pki.Orders), t => t == next.ThumbprintSha256, "serving the new server certificate");
        Assert.Equal("ok", await keepAlive.GetStringAsync("/ping")); // the old connection still works
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task CaBundleRotated_OverlapThenOldRemoved_NewClientsTrustedThenOldRefused()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-ca-rotation-").FullName;
        var caPath = Path.Combine(dir, "ca.pem");
        FileWriter.WriteAtomically(caPath, pki.Root.ExportCertificatePem());
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:TrustedCa:Path"] = caPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        host.StartServer();
        using var newRoot = TestPki.CreateRoot("Fleet Root 2027");
        using var newClient = newRoot.IssueClient("orders-2027", TestPkiFixture.OrdersId);

        async Task<bool> WorksAsync(TestCertificate client)
        {
            using var http = host.CreateMtlsClient(client);
            try
            {
                return await http.GetStringAsync("/ping") == "ok";
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }

        Assert.True(await WorksAsync(pki.Orders));
        Assert.False(await WorksAsync(newClient));

        FileWriter.WriteAtomically(caPath, pki.Root.ExportCertificatePem() + newRoot.ExportCertificatePem());
        await EventuallyAsync(() => WorksAsync(newClient), ok => ok, "trusting the new CA");
        Assert.True(await WorksAsync(pki.Orders));

        FileWriter.WriteAtomically(caPath, newRoot.ExportCertificatePem());
        await EventuallyAsync(() => WorksAsync(pki.Orders), ok => !ok, "dropping the old CA");
        Assert.True(await WorksAsync(newClient));
        Directory.Delete(dir, recursive: true);
    }
}
