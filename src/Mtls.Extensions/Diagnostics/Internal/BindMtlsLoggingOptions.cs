using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Internal;

/// <summary>Binds <see cref="MtlsLoggingOptions"/> from <c>Mtls:Logging</c> when the app has a configuration (a bare service collection has none).</summary>
internal sealed class BindMtlsLoggingOptions(IServiceProvider services) : IConfigureOptions<MtlsLoggingOptions>
{
    public void Configure(MtlsLoggingOptions options)
    {
        if (services.GetService(typeof(IConfiguration)) is IConfiguration configuration)
        {
            configuration.GetSection(MtlsLoggingOptions.ConfigurationSection).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
    }
}
