using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Http.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// The client side of revocation: when its denylist file names the server, the client's pooled keep-alive connections to
/// that server are closed within 2 s (the handler is recycled) and the next connection is refused with Revoked.
/// </summary>
public sealed class ClientRevocationTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    private static async Task Eventually(Func<bool> condition, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"Timed out after {timeout} waiting until {what}.");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task DenyPathNamesTheServer_PooledConnectionClosedWithinTwoSeconds_NextConnectionRefusedRevoked()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        var dir = Directory.CreateTempSubdirectory("mtls-client-deny-").FullName;
        var denyPath = Path.Combine(dir, "deny.txt");
        FileWriter.WriteAtomically(denyPath, "\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:BaseAddress"] = server.BaseAddress.ToString(),
            ["Mtls:Clients:inventory:Certificate:Pem"] = pki.Orders.ExportCertificatePem() + pki.Orders.ExportKeyPem(),
            ["Mtls:Clients:inventory:TrustedCa:Path"] = pki.CaPath,
            ["Mtls:Clients:inventory:Revocation:DenyPath"] = denyPath,
            ["Mtls:Clients:inventory:Reload:DebounceDelay"] = "00:00:00.020",
            ["Mtls:Clients:inventory:Resilience:Enabled"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMtlsHttpClient(Name);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);
        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        Assert.Equal(1, server.Connections);
        var pool = provider.GetRequiredService<MtlsClientHandlerPools>().Get(Name);

        var clock = Stopwatch.StartNew();
        FileWriter.WriteAtomically(denyPath, "sha256:" + Convert.ToHexString(SHA256.HashData(pki.Server.Certificate.RawData)) + "\n");
        await Eventually(() => pool.Generation == 2 && pool.LiveHandlers == 1, "the handler holding the pooled connection is replaced and disposed", TimeSpan.FromSeconds(2));
        var elapsed = clock.Elapsed;

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => client.GetAsync(new Uri("/whoami", UriKind.Relative)));
        Assert.Equal(MtlsRejectionReason.Revoked, error.Reason);
        Assert.Equal(MtlsHandshakeSide.Client, error.RejectedBy);
        Assert.Contains("Mtls:Clients:inventory:Revocation:Deny/DenyPath entry sha256:", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Connections);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"closed after {elapsed}");
        Directory.Delete(dir, recursive: true);
    }
}
