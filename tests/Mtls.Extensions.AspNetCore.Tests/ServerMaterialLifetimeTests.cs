using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;
using Xunit.Abstractions;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// The server's certificate material across rotations, through real Kestrel handshakes: each connection references the
/// material it handshook with, a retired material is disposed once its last connection closes, never before.
/// </summary>
public sealed class ServerMaterialLifetimeTests(TestPkiFixture pki, ITestOutputHelper output) : IClassFixture<TestPkiFixture>
{
    [Fact]
    public async Task ServerCertificate_RotatedTenTimes_RetiredMaterialDisposedAfterItsLastConnectionCloses()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-server-material-").FullName;
        var certPath = Path.Combine(dir, "tls.crt");
        var keyPath = Path.Combine(dir, "tls.key");
        pki.Server.WritePem(certPath, keyPath);
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Path"] = certPath,
            ["Mtls:Server:Certificate:KeyPath"] = keyPath,
            ["Mtls:Server:Reload:Watch"] = "false", // rotations happen exactly when the test reloads
        });
        host.StartServer();
        var server = host.Services.GetRequiredService<MutualTlsServer>();
        var sources = host.Services.GetRequiredService<MtlsSourceFactory>();
        var keepAlive = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        Assert.Equal("ok", await keepAlive.GetStringAsync(new Uri("/ping", UriKind.Relative)));
        var first = server.Certificate.Current;

        var retired = new List<CertificateMaterial>();
        for (var i = 1; i <= 10; i++)
        {
            var previous = server.Certificate.Current;
            using (var next = pki.Issuing.IssueLocalhostServer($"inventory-{i}"))
            {
                next.WritePem(certPath, keyPath);
            }

            sources.ReloadAll();
            Assert.NotSame(previous, server.Certificate.Current);
            retired.Add(previous);

            // A fresh connection handshakes with the new material while the old one's connections live on.
            using var fresh = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
            Assert.Equal("ok", await fresh.GetStringAsync(new Uri("/ping", UriKind.Relative)));
        }

        // The first material is retired but its keep-alive connection still uses it: not disposed, still working.
        Assert.Equal("ok", await keepAlive.GetStringAsync(new Uri("/ping", UriKind.Relative)));
        Assert.False(first.IsDisposed);

        keepAlive.Dispose();

        // Kestrel notices the closed sockets on its own schedule, and nothing signals that: poll, bounded.
        var clock = Stopwatch.StartNew();
        while (!retired.TrueForAll(m => m.IsDisposed) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        output.WriteLine($"last connection closed -> all {retired.Count} retired materials disposed: {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.All(retired, m => Assert.True(m.IsDisposed, $"{m} was retired and its connections closed, but it was not disposed"));
        Assert.False(server.Certificate.Current.IsDisposed);
        Directory.Delete(dir, recursive: true);
    }
}
