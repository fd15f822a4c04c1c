using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Tests;

public sealed class MutualTlsConfigurationTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private Exception StartFails(Dictionary<string, string?> settings)
    {
        using var host = new MtlsTestHost(pki, settings);
        return Assert.ThrowsAny<Exception>(() => host.StartServer());
    }

    private static string AllMessages(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }

        return string.Join(" | ", messages);
    }

    [Fact]
    public void MissingTrustedCa_StopsStartup_NamingTheKey()
    {
        var ex = StartFails(new() { ["Mtls:Server:TrustedCa:Path"] = null });
        Assert.Contains("Mtls:Server:TrustedCa", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCertificateFile_StopsStartup_NamingKeyAndFile()
    {
        var ex = StartFails(new() { ["Mtls:Server:Certificate:Path"] = "/nonexistent/tls.crt" });
        var text = AllMessages(ex);
        Assert.Contains("Mtls:Server:Certificate:Path", text, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/tls.crt", text, StringComparison.Ordinal);
        Assert.Contains("does not exist", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKey_StopsStartup_NamingTheKey()
    {
        var ex = StartFails(new() { ["Mtls:Server:TrustedCaa:Path"] = pki.CaPath });
        Assert.Contains("TrustedCaa", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownNestedKey_StopsStartup_NamingItsFullPath()
    {
        var ex = StartFails(new() { ["Mtls:Server:Certificate:KeyPth"] = pki.ServerKeyPath });
        Assert.Contains("Mtls:Server:Certificate:KeyPth: unknown configuration key", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownChildOfMtls_StopsStartup_NamingIt()
    {
        var ex = StartFails(new() { ["Mtls:Sever:TrustedCa:Path"] = pki.CaPath });
        Assert.Contains("Mtls:Sever: unknown configuration section; the Mtls section holds only Mtls:Server, Mtls:Clients, Mtls:Logging.", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExplicitlyEmptyValues_MeanNotSet_ForEveryKey()
    {
        // appsettings.json names a folder; the deployment switches it off with empty environment variables and
        // gives a combined PEM file (certificate + key) instead, with an empty KeyPath.
        var combined = pki.WriteFile("server-combined.pem", pki.Server.ExportCertificatePem() + pki.Server.ExportKeyPem());
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Path"] = combined,
            ["Mtls:Server:Certificate:KeyPath"] = string.Empty,
            ["Mtls:Server:Certificate:Directory"] = string.Empty,
            ["Mtls:Server:Certificate:Layout"] = string.Empty,
            ["Mtls:Server:Certificate:Password"] = string.Empty,
            ["Mtls:Server:Certificate:Store:Thumbprint"] = string.Empty,
            ["Mtls:Server:TrustedCa:Pem"] = string.Empty,
            ["Mtls:Server:ClientCertificateMode"] = string.Empty,
            ["Mtls:Server:MaxChainDepth"] = string.Empty,
            ["Mtls:Server:AllowedPeers"] = string.Empty,
            ["Mtls:Server:Reload:PollInterval"] = string.Empty,
        });
        host.StartServer();
        using var client = host.CreateMtlsClient(pki.Orders);

        Assert.Equal("ok", await client.GetStringAsync(new Uri("/ping", UriKind.Relative)));
        var options = host.Services.GetRequiredService<IOptions<MutualTlsOptions>>().Value;
        Assert.Null(options.Certificate.Directory);
        Assert.Equal(MtlsClientCertificateMode.Require, options.ClientCertificateMode);
        Assert.Equal(4, options.MaxChainDepth);
        Assert.Empty(options.AllowedPeers);
    }

    [Fact]
    public void InvalidAllowedPeer_StopsStartup_NamingTheEntry()
    {
        var ex = StartFails(new() { ["Mtls:Server:AllowedPeers:0"] = "spiffe://Example.org/x" });
        var text = AllMessages(ex);
        Assert.IsType<OptionsValidationException>(ex is OptionsValidationException ? ex : ex.InnerException ?? ex);
        Assert.Contains("Mtls:Server:AllowedPeers:0", text, StringComparison.Ordinal);
        Assert.Contains("uppercase", text, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyOfAnotherCertificate_StopsStartup_NamingTheKeyFile()
    {
        var otherKey = Path.Combine(pki.Directory, "orders-only.key");
        File.WriteAllText(otherKey, pki.Orders.ExportKeyPem());
        var ex = StartFails(new() { ["Mtls:Server:Certificate:KeyPath"] = otherKey });
        var text = AllMessages(ex);
        Assert.Contains("Mtls:Server:Certificate:KeyPath", text, StringComparison.Ordinal);
        Assert.Contains("does not match", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMutualTls_NullOrMalformedArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddMutualTls());
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddMutualTls(configure: null));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddMutualTls((Microsoft.Extensions.Configuration.IConfiguration)null!));
        Assert.Throws<ArgumentNullException>(() => ((WebApplicationBuilder)null!).AddMutualTls());
        Assert.Throws<ArgumentNullException>(() => ((Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions)null!).UseMutualTls());
        Assert.Throws<ArgumentNullException>(() => new AuthorizationPolicyBuilder().RequireSpiffeId(null!));
        Assert.Throws<ArgumentNullException>(() => ((AuthorizationPolicyBuilder)null!).RequireTrustDomain("example.org"));
        Assert.Throws<ArgumentNullException>(() => new AuthorizationPolicyBuilder().RequireDnsName(null!));
        Assert.Throws<FormatException>(() => new AuthorizationPolicyBuilder().RequireSpiffeId("spiffe://Bad/x"));
        Assert.Throws<FormatException>(() => new AuthorizationPolicyBuilder().RequireSpiffeIdPathPrefix("spiffe://example.org"));
    }

    [Fact]
    public void AddMutualTls_IsIdempotent_AndDoesNotSetADefaultScheme()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddMutualTls(o => o.Certificate.Path = "x");
        services.AddMutualTls(o => o.Certificate.Path = "x");
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<Microsoft.AspNetCore.Authentication.AuthenticationOptions>>().Value;
        Assert.Single(options.Schemes, s => s.Name == MutualTlsDefaults.AuthenticationScheme);
        Assert.Null(options.DefaultScheme);
    }
}
