using Microsoft.Extensions.Configuration;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>An in-memory configuration source whose values can change at run time, raising the reload token like a file would.</summary>
public sealed class ReloadableConfiguration : ConfigurationProvider, IConfigurationSource
{
    public ReloadableConfiguration(IDictionary<string, string?> values)
    {
        foreach (var (key, value) in values)
        {
            Data[key] = value;
        }
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>Replaces the values under <paramref name="prefix"/> and raises the reload token.</summary>
    public void Replace(string prefix, IDictionary<string, string?> values)
    {
        foreach (var key in Data.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            Data.Remove(key);
        }

        foreach (var (key, value) in values)
        {
            Data[key] = value;
        }

        OnReload();
    }
}
