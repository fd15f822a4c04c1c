using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mtls.Extensions.AspNetCore.Internal;

namespace Mtls.Extensions.AspNetCore.Tests;

public sealed class MutualTlsOptionsCustomValidatorTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static string AllMessages(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    private static OptionsValidationException? FindValidation(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException validation)
            {
                return validation;
            }
        }

        return null;
    }

    [Fact]
    public void Validate_EveryRuleBroken_ReportsAllAtOnceNamingKeysAndValues()
    {
        var options = new MutualTlsOptions { MaxChainDepth = 0, AllowedPeers = ["spiffe://Example.org/x", "spiffe://example.org", "spiffe://"] };
        options.Reload.MaxRetries = -1;
        options.TrustedCa.MaxFileSize = 100;

        var failures = new MutualTlsOptionsCustomValidator().Validate(Options.DefaultName, options).Failures!.ToList();

        string[] expected =
        [
            "Mtls:Server:Certificate: no server certificate is configured",
            "Mtls:Server:TrustedCa: no trusted CA is configured",
            "Mtls:Server:AllowedPeers:0: ",
            "Mtls:Server:AllowedPeers:2: ",
            "Mtls:Server:MaxChainDepth: 0 is out of range; use 1 to 16.",
            "Mtls:Server:Reload:MaxRetries: -1 is out of range; use 0 to 100.",
            "Mtls:Server:TrustedCa:MaxFileSize: 100 is out of range; use 1024 to 268435456 bytes.",
        ];
        foreach (var message in expected)
        {
            Assert.Contains(failures, f => f.StartsWith(message, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, failures.Count);
    }

    [Fact]
    public void StartServer_ConfigurationPathKey_IsAnUnknownKey()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:ConfigurationPath"] = "Somewhere:Else" });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServer());

        Assert.Contains("Mtls:Server:ConfigurationPath: unknown configuration key", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public void StartServer_OutOfRangeValues_StopStartupWithEveryKeyAtOnce()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:MaxChainDepth"] = "17",
            ["Mtls:Server:Reload:PollInterval"] = "2.00:00:00",
            ["Mtls:Server:Certificate:MaxFileSize"] = "10",
        });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServer());

        var validation = FindValidation(ex);
        Assert.NotNull(validation);
        Assert.Contains("Mtls:Server:MaxChainDepth: 17 is out of range; use 1 to 16.", validation.Failures);
        Assert.Contains("Mtls:Server:Reload:PollInterval: 2.00:00:00 is out of range; use 00:00:00 (off) to 1.00:00:00.", validation.Failures);
        Assert.Contains("Mtls:Server:Certificate:MaxFileSize: 10 is out of range; use 1024 to 268435456 bytes.", validation.Failures);
    }

    [Fact]
    public void StartServer_WorkloadApiBackoffOutOfRange_StopsStartupNamingTheKeys()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:WorkloadApi:Backoff:Initial"] = "00:00:00.01",
            ["Mtls:Server:Certificate:WorkloadApi:Backoff:Max"] = "01:00:00",
        });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServer());

        var validation = FindValidation(ex);
        Assert.NotNull(validation);
        Assert.Contains("Mtls:Server:Certificate:WorkloadApi:Backoff:Initial: 00:00:00.0100000 is out of range; use 00:00:00.1000000 to 00:01:00.", validation.Failures);
        Assert.Contains("Mtls:Server:Certificate:WorkloadApi:Backoff:Max: 01:00:00 is out of range; use 00:00:01 to 00:10:00.", validation.Failures);
    }

    [Fact]
    public void Options_BoundFromConfiguration_InheritTheSharedEndpointKeys()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:MaxChainDepth"] = "3",
            ["Mtls:Server:AllowMissingExtendedKeyUsage"] = "true",
            ["Mtls:Server:Resumption"] = "Disabled",
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        host.StartServer();

        MtlsEndpointOptions options = host.Services.GetRequiredService<IOptions<MutualTlsOptions>>().Value;

        Assert.Equal(3, options.MaxChainDepth);
        Assert.True(options.AllowMissingExtendedKeyUsage);
        Assert.Equal(MtlsResumption.Disabled, options.Resumption);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Reload.DebounceDelay);
        Assert.Equal(pki.CaPath, options.TrustedCa.Path);
    }
}
