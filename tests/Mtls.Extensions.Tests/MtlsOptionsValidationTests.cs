using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Tests;

/// <summary>
/// Options derived from <see cref="MtlsEndpointOptions"/> in another assembly (as the server and client packages do), checked
/// by a source-generated validator: the base's and the nested options' attributes run, and every message names the
/// configuration key and the value.
/// </summary>
public sealed class MtlsOptionsValidationTests
{
    [Fact]
    public void ValidateWithConfigurationKeys_OutOfRangeBaseAndNestedMembers_NamesEveryKeyWithItsValue()
    {
        var options = new EndpointTestOptions { MaxChainDepth = 0, Timeout = TimeSpan.Zero };
        options.Reload.PollInterval = TimeSpan.FromDays(2);
        options.Reload.RetryDelay = TimeSpan.Zero;
        options.Reload.MaxRetries = 101;
        options.Certificate.MaxFileSize = 10;
        options.TrustedCa.MaxFileSize = 512L * 1024 * 1024;

        var result = new EndpointTestOptionsValidator().ValidateWithConfigurationKeys("Mtls:Clients:inventory", options);

        Assert.True(result.Failed);
        Assert.Equal(
            new[]
            {
                "Mtls:Clients:inventory:Certificate:MaxFileSize: 10 is out of range; use 1024 to 268435456 bytes.",
                "Mtls:Clients:inventory:MaxChainDepth: 0 is out of range; use 1 to 16.",
                "Mtls:Clients:inventory:Reload:MaxRetries: 101 is out of range; use 0 to 100.",
                "Mtls:Clients:inventory:Reload:PollInterval: 2.00:00:00 is out of range; use 00:00:00 (off) to 1.00:00:00.",
                "Mtls:Clients:inventory:Reload:RetryDelay: 00:00:00 is out of range; use a positive delay up to 00:01:00.",
                "Mtls:Clients:inventory:Timeout: 00:00:00 must be positive.",
                "Mtls:Clients:inventory:TrustedCa:MaxFileSize: 536870912 is out of range; use 1024 to 268435456 bytes.",
            },
            result.Failures!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ValidateWithConfigurationKeys_PathWithDots_KeepsThePathAndMapsOnlyMemberNames()
    {
        var options = new EndpointTestOptions();
        options.Reload.DebounceDelay = TimeSpan.FromMinutes(2);

        var result = new EndpointTestOptionsValidator().ValidateWithConfigurationKeys("Mtls:Clients:orders.v2", options);

        Assert.Equal("Mtls:Clients:orders.v2:Reload:DebounceDelay: 00:02:00 is out of range; use 00:00:00 to 00:01:00.", Assert.Single(result.Failures!));
    }

    [Fact]
    public void ValidateWithConfigurationKeys_Defaults_Succeed()
    {
        var result = new EndpointTestOptionsValidator().ValidateWithConfigurationKeys("Mtls:Server", new EndpointTestOptions());

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void MtlsRange_Infinite_AllowedOnlyWhenAsked()
    {
        var options = new EndpointTestOptions { Timeout = Timeout.InfiniteTimeSpan, Lifetime = Timeout.InfiniteTimeSpan };

        var result = new EndpointTestOptionsValidator().ValidateWithConfigurationKeys("Mtls:Server", options);

        Assert.Equal("Mtls:Server:Timeout: -00:00:00.0010000 must be positive.", Assert.Single(result.Failures!));
    }

    [Fact]
    public void ValidateWithConfigurationKeys_NullOrEmptyArguments_Throw()
    {
        var validator = new EndpointTestOptionsValidator();
        Assert.Throws<ArgumentNullException>(() => ((IValidateOptions<EndpointTestOptions>)null!).ValidateWithConfigurationKeys("Mtls:Server", new EndpointTestOptions()));
        Assert.Throws<ArgumentException>(() => validator.ValidateWithConfigurationKeys(string.Empty, new EndpointTestOptions()));
        Assert.Throws<ArgumentNullException>(() => validator.ValidateWithConfigurationKeys("Mtls:Server", null!));
    }
}

public sealed class EndpointTestOptions : MtlsEndpointOptions
{
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, ErrorMessage = "{0}: {1} must be positive.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, AllowInfinite = true, ErrorMessage = "{0}: {1} must be positive.")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(1);
}

[OptionsValidator]
internal sealed partial class EndpointTestOptionsValidator : IValidateOptions<EndpointTestOptions>
{
}
