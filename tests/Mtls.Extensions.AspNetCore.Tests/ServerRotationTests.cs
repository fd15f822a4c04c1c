using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>The server picks up new certificates and CA bundles from disk: no restart, no rebind, no dropped connection.</summary>
public sealed class ServerRotationTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    /// <summary>Waits until a condition holds, checking it again each time the source's change token fires (no polling).</summary>
    private static async Task UntilChangedAsync(Func<IChangeToken> token, Func<bool> condition, string what)
    {
        while (!condition())
        {
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (token().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), fired))
            {
                if (condition())
                {
                    return;
                }

                try
                {
                    await fired.Task.WaitAsync(TimeSpan.FromSeconds(15));
                }
                catch (TimeoutException)
                {
                    throw new TimeoutException($"{what} did not happen within 15 s.");
                }
            }
        }
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
        var server = host.Services.GetRequiredService<MutualTlsServer>();
        using var keepAlive = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        Assert.Equal("ok", await keepAlive.GetStringAsync("/ping"));
        Assert.Equal(pki.Server.ThumbprintSha256, await ServerThumbprintOnNewConnectionAsync(host.BaseAddress, pki.Orders));

        using var next = pki.Issuing.IssueLocalhostServer("inventory-next");
        // Key first, then certificate: the torn moment in between must never be served.
        FileWriter.WriteAtomically(keyPath, next.ExportKeyPem());
        FileWriter.WriteAtomically(certPath, next.ExportCertificatePem());

        // The server takes its certificate from the source on every handshake: once the source holds the new pair, it is served.
        await UntilChangedAsync(server.Certificate.GetChangeToken, () => server.Certificate.Current.ThumbprintSha256 == next.ThumbprintSha256, "loading the new server certificate");
        Assert.Equal(next.ThumbprintSha256, await ServerThumbprintOnNewConnectionAsync(host.BaseAddress, pki.Orders));
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
        var server = host.Services.GetRequiredService<MutualTlsServer>();
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
        await UntilChangedAsync(server.Trust.GetChangeToken, () => server.Trust.Current.Contains(newRoot.Certificate), "trusting the new CA");
        Assert.True(await WorksAsync(newClient));
        Assert.True(await WorksAsync(pki.Orders));

        FileWriter.WriteAtomically(caPath, newRoot.ExportCertificatePem());
        await UntilChangedAsync(server.Trust.GetChangeToken, () => !server.Trust.Current.Contains(pki.Root.Certificate), "dropping the old CA");
        Assert.False(await WorksAsync(pki.Orders));
        Assert.True(await WorksAsync(newClient));
        Directory.Delete(dir, recursive: true);
    }
}
