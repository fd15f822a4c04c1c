using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// The certificate a newcomer makes first (openssl or cert-manager: <c>CN=inventory</c>, SAN <c>DNS:localhost,
/// IP:127.0.0.1</c>, a CN that is not a SAN) works on both sides with default settings: the default <c>Rfc5280</c>
/// profile never looks at the CN. The <c>WebPki</c> profile, set for one client by an environment variable, refuses it
/// and names the keys that change that.
/// </summary>
public sealed class MtlsValidationProfileTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    [Fact]
    public async Task Rfc5280Profile_CnNotAmongTheSansOnBothSides_AcceptedWithDefaultSettings()
    {
        using var server = pki.Issuing.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").WithIpAddresses(IPAddress.Loopback));
        using var client = pki.Issuing.IssueLeaf("orders", o => o.ForClient().WithDnsNames("orders.internal"));
        var (cert, key) = pki.Write(server);
        var (clientCert, clientKey) = pki.Write(client);
        await using var kestrel = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        using var host = await StartClientAsync(kestrel.BaseAddress, clientCert, clientKey, pki.CaPath, []);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        Assert.Equal(client.ThumbprintSha256, await http.GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        var byName = new UriBuilder(kestrel.BaseAddress) { Host = "localhost" }.Uri;
        Assert.Equal(client.ThumbprintSha256, await http.GetStringAsync(new Uri(byName, "/whoami")));
        await host.StopAsync();
    }

    [Fact]
    public async Task WebPkiProfile_SetForOneClientByEnvironment_RefusesTheCnNamingTheClientsKeys()
    {
        using var server = pki.Issuing.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").WithIpAddresses(IPAddress.Loopback));
        var (cert, key) = pki.Write(server);
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        await using var kestrel = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);

        using (var strict = await StartClientAsync(kestrel.BaseAddress, clientCert, clientKey, pki.CaPath, new() { ["Mtls__Clients__inventory__Validation__Profile"] = "WebPki" }))
        {
            var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => strict.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));
            Assert.Equal(MtlsRejectionReason.CommonNameNotInSubjectAltNames, error.Reason);
            Assert.Equal(MtlsHandshakeSide.Client, error.RejectedBy);
            Assert.Contains("Mtls:Clients:inventory:Validation:AllowCommonNameNotInSubjectAltNames=true", error.Message, StringComparison.Ordinal);
            Assert.Contains("Mtls:Clients:inventory:Validation:Profile=Rfc5280", error.Message, StringComparison.Ordinal);
            await strict.StopAsync();
        }

        using var relaxed = await StartClientAsync(kestrel.BaseAddress, clientCert, clientKey, pki.CaPath, new()
        {
            ["Mtls__Clients__inventory__Validation__Profile"] = "WebPki",
            ["Mtls__Clients__inventory__Validation__AllowCommonNameNotInSubjectAltNames"] = "true",
        });
        Assert.Equal(pki.Orders.ThumbprintSha256, await relaxed.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/whoami", UriKind.Relative)));
        await relaxed.StopAsync();
    }

    [Fact]
    public async Task ValidationSection_UnknownClientKeyFromEnvironment_StopsStartUpNamingIt()
    {
        var (clientCert, clientKey) = pki.Write(pki.Orders);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartClientAsync(new Uri("https://127.0.0.1:1"), clientCert, clientKey, pki.CaPath, new() { ["Mtls__Clients__inventory__Validation__AllowCommonName"] = "true" }));

        Assert.Contains("AllowCommonName", error.ToString(), StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task Rfc5280Profile_OpensslMadeCertificates_AcceptedOnBothSidesWithDefaultSettings()
    {
        // The recipe of countless tutorials (OpenSSL 3 adds the key identifiers itself): a CA by req -x509, a server
        // certificate CN=inventory with SAN DNS:localhost,IP:127.0.0.1 and a client certificate CN=orders, by x509 -req.
        var dir = Directory.CreateTempSubdirectory("mtls-openssl-").FullName;
        try
        {
            await OpensslAsync(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Inventory Test CA", "-days", "2");
            await IssueAsync(dir, "server", "/CN=inventory", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
            await IssueAsync(dir, "client", "/CN=orders", "subjectAltName=DNS:orders.internal\nextendedKeyUsage=clientAuth\n");
            var ca = Path.Combine(dir, "ca.pem");
            await using var kestrel = await TestServer.StartMtlsAsync(Path.Combine(dir, "server.pem"), Path.Combine(dir, "server.key"), ca);
            using var host = await StartClientAsync(kestrel.BaseAddress, Path.Combine(dir, "client.pem"), Path.Combine(dir, "client.key"), ca, []);

            var seen = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/whoami", UriKind.Relative));

            using var clientCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(dir, "client.pem")));
            Assert.Equal(Convert.ToHexString(clientCertificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)), seen, ignoreCase: true);
            await host.StopAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task IssueAsync(string dir, string name, string subject, string extensions)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".ext"), extensions);
        await OpensslAsync(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject);
        await OpensslAsync(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", name + ".ext", "-out", name + ".pem");
    }

    private static async Task OpensslAsync(string dir, params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', arguments)}: {await stderr}");
    }

    /// <summary>A client host configured only through keys, the given ones through the environment-variable provider.</summary>
    private static async Task<IHost> StartClientAsync(Uri baseAddress, string certificatePath, string keyPath, string caPath, Dictionary<string, string> environment)
    {
        var prefix = $"MTLSTEST_{Guid.NewGuid():N}_";
        foreach (var (name, value) in environment)
        {
            Environment.SetEnvironmentVariable(prefix + name, value);
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:BaseAddress"] = baseAddress.ToString(),
            ["Mtls:Clients:inventory:Certificate:Path"] = certificatePath,
            ["Mtls:Clients:inventory:Certificate:KeyPath"] = keyPath,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = caPath,
            ["Mtls:Clients:inventory:Resilience:Enabled"] = "false",
        });
        builder.Configuration.AddEnvironmentVariables(prefix);
        builder.Services.AddMtlsHttpClient(Name);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }
}
