using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>Issue 24 items 1 and 2 (client side): a client section nobody reads stops start-up; the effective ExpectedServer is logged.</summary>
public sealed class MtlsHttpClientsWarmupTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private IHost Build(IDictionary<string, string?> extra, params string[] clients)
    {
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var settings = new Dictionary<string, string?>();
        foreach (var client in clients)
        {
            settings[$"Mtls:Clients:{client}:Certificate:Path"] = clientCert;
            settings[$"Mtls:Clients:{client}:Certificate:KeyPath"] = clientKey;
            settings[$"Mtls:Clients:{client}:TrustedCa:Path"] = pki.CaPath;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        // As a deployment sets it: an environment variable (Mtls__Clients__inventroy__ExpectedServer), through a prefix unique to this host.
        var prefix = $"MTLS_TEST_{Guid.NewGuid():N}_";
        foreach (var (key, value) in extra)
        {
            Environment.SetEnvironmentVariable(prefix + key.Replace(":", "__", StringComparison.Ordinal), value);
        }

        builder.Configuration.AddEnvironmentVariables(prefix);
        builder.Logging.AddFakeLogging();
        foreach (var client in clients)
        {
            builder.Services.AddMtlsHttpClient(client);
        }

        return builder.Build();
    }

    [Fact]
    public async Task Warmup_MisspeltClientSection_StopsStartUpNamingItAndTheRegisteredClients()
    {
        using var host = Build(new Dictionary<string, string?> { ["Mtls:Clients:inventroy:ExpectedServer"] = ClientPki.InventoryId }, "inventory", "billing");

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("Mtls:Clients:inventroy: no registered mTLS client reads this configuration section", error.Message, StringComparison.Ordinal);
        Assert.Contains("'inventory' (Mtls:Clients:inventory)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'billing' (Mtls:Clients:billing)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warmup_SectionNamesDifferOnlyInCase_Start()
    {
        using var host = Build(new Dictionary<string, string?> { ["Mtls:Clients:INVENTORY:ExpectedServer"] = ClientPki.InventoryId }, "inventory");

        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task Warmup_EveryClient_LogsItsEffectiveExpectedServer()
    {
        using var host = Build(new Dictionary<string, string?> { ["Mtls:Clients:inventory:ExpectedServer"] = ClientPki.InventoryId }, "inventory", "billing");

        await host.StartAsync();

        var lines = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 459).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(LogLevel.Information, l.Level));
        Assert.Contains(lines, l => l.Message.Contains("mTLS client inventory expects the server identity " + ClientPki.InventoryId, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Message.Contains("mTLS client billing expects the server identity (not set: the request host", StringComparison.Ordinal));
        await host.StopAsync();
    }
}
