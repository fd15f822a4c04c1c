using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Binds <see cref="MutualTlsOptions"/> from configuration the one way every <c>AddMutualTls</c> overload shares: an
/// explicitly empty value means "not set", an unknown key is an error naming its full path, and (for the default
/// section) an unknown child of <c>Mtls</c> such as <c>Mtls:Sever</c> is an error too. Reloads follow the section.
/// </summary>
internal static class MutualTlsConfigurationBinding
{
    /// <param name="services">The services.</param>
    /// <param name="section">The section to bind, resolved when the options are first built.</param>
    /// <param name="root">The root configuration to check for unknown <c>Mtls</c> children; <see langword="null"/> for an explicit section.</param>
    public static void Add(IServiceCollection services, Func<IServiceProvider, IConfiguration?> section, Func<IServiceProvider, IConfiguration?>? root)
    {
        services.AddSingleton<IConfigureOptions<MutualTlsOptions>>(sp => new ConfigureNamedOptions<MutualTlsOptions>(Options.DefaultName, options =>
        {
            if (root?.Invoke(sp) is { } configuration)
            {
                MtlsConfiguration.ThrowOnUnknownChildren(configuration);
            }

            if (section(sp) is not { } source)
            {
                return;
            }

            var path = source is IConfigurationSection s ? s.Path : options.ConfigurationPath;
            options.ConfigurationPath = path;
            options.AllowedPeersConfigured |= source.GetSection(nameof(MutualTlsOptions.AllowedPeers)).Exists();
            var view = NonEmptyConfiguration.Wrap(source);
            try
            {
                view.Bind(options, b => b.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                throw MtlsConfiguration.Describe(view, path, e);
            }
        }));
        services.AddSingleton<IOptionsChangeTokenSource<MutualTlsOptions>>(sp =>
            new ConfigurationChangeTokenSource<MutualTlsOptions>(section(sp) ?? new ConfigurationManager()));
    }
}
