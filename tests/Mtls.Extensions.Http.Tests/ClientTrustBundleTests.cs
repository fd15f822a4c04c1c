using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>Issue 24 item 5, client side: a trust bundle of publicly trusted roots is refused unless the key that states the risk allows it.</summary>
public sealed class ClientTrustBundleTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string OsCaFile = "/etc/ssl/certs/ca-certificates.crt";

    private IHost Build(IDictionary<string, string> environment)
    {
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:Certificate:Path"] = clientCert,
            ["Mtls:Clients:inventory:Certificate:KeyPath"] = clientKey,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = OsCaFile,
        });
        var prefix = $"MTLS_TEST_{Guid.NewGuid():N}_";
        foreach (var (key, value) in environment)
        {
            Environment.SetEnvironmentVariable(prefix + key, value);
        }

        builder.Configuration.AddEnvironmentVariables(prefix);
        builder.Services.AddMtlsHttpClient("inventory");
        return builder.Build();
    }

    [Fact]
    public async Task TrustBundle_OperatingSystemCaFile_StopsStartUpNamingTheKeyThatAllowsIt()
    {
        if (!File.Exists(OsCaFile))
        {
            return; // no ca-certificates package here: nothing to refuse (CI installs it with curl)
        }

        using var host = Build(new Dictionary<string, string>());

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains($"Mtls:Clients:inventory:TrustedCa:Path ('{OsCaFile}')", error.Message, StringComparison.Ordinal);
        Assert.Contains("(it is the operating system's CA file)", error.Message, StringComparison.Ordinal);
        Assert.Contains("set Mtls:Clients:inventory:TrustedCa:AcceptPeersIssuedByPublicCas to true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustBundle_OperatingSystemCaFileAllowedThroughEnvironmentKey_Starts()
    {
        if (!File.Exists(OsCaFile))
        {
            return;
        }

        using var host = Build(new Dictionary<string, string> { ["Mtls__Clients__inventory__TrustedCa__AcceptPeersIssuedByPublicCas"] = "true" });

        await host.StartAsync();
        await host.StopAsync();
    }
}
