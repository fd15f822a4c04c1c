using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Http.Internal;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

public sealed class MtlsHttpClientOptionsCustomValidatorTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    private IHost BuildHost(Dictionary<string, string?> extra)
    {
        var (clientCert, clientKey) = pki.Write(pki.Orders);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mtls:Clients:inventory:Certificate:Path"] = clientCert,
            ["Mtls:Clients:inventory:Certificate:KeyPath"] = clientKey,
            ["Mtls:Clients:inventory:TrustedCa:Path"] = pki.CaPath,
        }.Concat(extra));
        builder.Services.AddMtlsHttpClient(Name);
        return builder.Build();
    }

    private static MtlsHttpClientOptions Valid() => new()
    {
        Certificate = { Path = "/etc/tls/tls.crt", KeyPath = "/etc/tls/tls.key" },
        TrustedCa = { Path = "/etc/tls/ca.crt" },
    };

    [Fact]
    public void Validate_EveryRuleBroken_ReportsAllAtOnceNamingKeysAndValues()
    {
        var options = new MtlsHttpClientOptions
        {
            BaseAddress = new Uri("http://inventory/"),
            ExpectedServer = "spiffe://, spiffe://example.org, spiffe://Example.org/x",
            MaxChainDepth = 17,
            ConnectTimeout = TimeSpan.Zero,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(-1),
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        options.Reload.PollInterval = TimeSpan.FromSeconds(-1);
        options.Certificate.MaxFileSize = 1;
        options.Resilience.MaxRetryAttempts = -1;
        options.Resilience.RetryBaseDelay = TimeSpan.Zero;
        options.Resilience.AttemptTimeout = TimeSpan.FromMinutes(2);
        options.Resilience.CircuitBreakerFailureRatio = 1.5;
        options.Resilience.CircuitBreakerMinimumThroughput = 1;
        options.Resilience.CircuitBreakerSamplingDuration = TimeSpan.FromMilliseconds(100);

        var failures = new MtlsHttpClientOptionsCustomValidator().Validate(Name, options).Failures!.ToList();

        string[] expected =
        [
            "Mtls:Clients:inventory:BaseAddress: 'http://inventory/' is not an absolute https URI; mutual TLS needs https.",
            "Mtls:Clients:inventory:Certificate: no client certificate is configured for the mTLS client 'inventory'",
            "Mtls:Clients:inventory:TrustedCa: no trusted CA is configured for the mTLS client 'inventory'",
            "Mtls:Clients:inventory:ExpectedServer: entry 0 'spiffe://': ",
            "Mtls:Clients:inventory:ExpectedServer: entry 2 'spiffe://Example.org/x': ",
            "Mtls:Clients:inventory:MaxChainDepth: 17 is out of range; use 1 to 16.",
            "Mtls:Clients:inventory:ConnectTimeout: 00:00:00 must be positive.",
            "Mtls:Clients:inventory:PooledConnectionIdleTimeout: -00:00:01 must be positive.",
            "Mtls:Clients:inventory:PooledConnectionLifetime: 00:00:00 must be positive.",
            "Mtls:Clients:inventory:Reload:PollInterval: -00:00:01 is out of range; use 00:00:00 (off) to 1.00:00:00.",
            "Mtls:Clients:inventory:Certificate:MaxFileSize: 1 is out of range; use 1024 to 268435456 bytes.",
            "Mtls:Clients:inventory:Resilience:MaxRetryAttempts: -1 is out of range; use 0 to 100.",
            "Mtls:Clients:inventory:Resilience:RetryBaseDelay: 00:00:00 must be positive.",
            "Mtls:Clients:inventory:Resilience:CircuitBreakerFailureRatio: 1.5 is out of range; use 0 (off) to 1.",
            "Mtls:Clients:inventory:Resilience:AttemptTimeout: 00:02:00 is longer than TotalTimeout 00:00:30.",
            "Mtls:Clients:inventory:Resilience:CircuitBreakerMinimumThroughput: 1 is too small; use 2 or more.",
            "Mtls:Clients:inventory:Resilience:CircuitBreakerSamplingDuration: 00:00:00.1000000 is too short; use 00:00:00.5 or more.",
        ];
        foreach (var message in expected)
        {
            Assert.Contains(failures, f => f.StartsWith(message, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, failures.Count);
    }

    [Fact]
    public void Validate_DefaultsWithSourceAndTrust_Succeed()
    {
        Assert.True(new MtlsHttpClientOptionsCustomValidator().Validate(Name, Valid()).Succeeded);
    }

    [Fact]
    public void Validate_InfinitePooledConnectionLifetime_IsAllowed()
    {
        var options = Valid();
        options.PooledConnectionLifetime = Timeout.InfiniteTimeSpan;

        Assert.True(new MtlsHttpClientOptionsCustomValidator().Validate(Name, options).Succeeded);
    }

    [Fact]
    public void Validate_BreakerOff_SkipsItsSettings()
    {
        var options = Valid();
        options.Resilience.CircuitBreakerFailureRatio = 0;
        options.Resilience.CircuitBreakerMinimumThroughput = 0;

        Assert.True(new MtlsHttpClientOptionsCustomValidator().Validate(Name, options).Succeeded);
    }

    [Fact]
    public async Task StartAsync_ConfigurationPathKey_IsAnUnknownKey()
    {
        using var host = BuildHost(new()
        {
            ["Mtls:Clients:inventory:ConfigurationPath"] = "Somewhere:Else",
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("Mtls:Clients:inventory:ConfigurationPath: unknown configuration key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_OutOfRangeValuesFromConfiguration_NameTheirKeys()
    {
        using var host = BuildHost(new()
        {
            ["Mtls:Clients:inventory:MaxChainDepth"] = "0",
            ["Mtls:Clients:inventory:Reload:DebounceDelay"] = "00:05:00",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Mtls:Clients:inventory:MaxChainDepth: 0 is out of range; use 1 to 16.", error.Failures);
        Assert.Contains("Mtls:Clients:inventory:Reload:DebounceDelay: 00:05:00 is out of range; use 00:00:00 to 00:01:00.", error.Failures);
    }
}
