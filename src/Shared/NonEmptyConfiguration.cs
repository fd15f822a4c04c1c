using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Mtls.Extensions.Internal;

/// <summary>
/// A view of a configuration section in which a key with an explicitly empty value (<c>Mtls__Server__Certificate__Directory=</c>)
/// does not exist, so that it means "not set" for every key, whatever its type, as it does for the binder's string keys.
/// Deployments override a value from appsettings.json with an empty environment variable to switch it off.
/// </summary>
internal sealed class NonEmptyConfiguration : IConfigurationSection
{
    private readonly IConfiguration _inner;

    private NonEmptyConfiguration(IConfiguration inner) => _inner = inner;

    public string Key => _inner is IConfigurationSection s ? s.Key : string.Empty;

    public string Path => _inner is IConfigurationSection s ? s.Path : string.Empty;

    public string? Value
    {
        get => _inner is IConfigurationSection { Value: { Length: > 0 } value } ? value : null;
        set => throw new NotSupportedException("The mTLS configuration view is read-only.");
    }

    public string? this[string key]
    {
        get => GetSection(key).Value;
        set => throw new NotSupportedException("The mTLS configuration view is read-only.");
    }

    public static NonEmptyConfiguration Wrap(IConfiguration configuration) => new(configuration);

    public IConfigurationSection GetSection(string key) => new NonEmptyConfiguration(_inner.GetSection(key));

    public IEnumerable<IConfigurationSection> GetChildren() =>
        _inner.GetChildren()
            .Where(HasContent)
            .Select(child => new NonEmptyConfiguration(child))
            .ToArray();

    public IChangeToken GetReloadToken() => _inner.GetReloadToken();

    private static bool HasContent(IConfigurationSection section) =>
        !string.IsNullOrEmpty(section.Value) || section.GetChildren().Any(HasContent);
}
