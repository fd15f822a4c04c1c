using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Mtls.Extensions.Internal;

/// <summary>What the server and the clients share when they bind the <c>Mtls</c> section: the known children and good errors.</summary>
internal static partial class MtlsConfiguration
{
    /// <summary>The root section of every key this library reads.</summary>
    public const string RootSection = "Mtls";

    /// <summary>The children of <see cref="RootSection"/> that some part of the library binds; anything else is a typo.</summary>
    public static readonly string[] KnownChildren = ["Server", "Clients", "Logging"];

    /// <summary>Throws when the <c>Mtls</c> section holds a child nobody reads (<c>Mtls:Sever</c>), naming it and the known ones.</summary>
    public static void ThrowOnUnknownChildren(IConfiguration root)
    {
        var unknown = NonEmptyConfiguration.Wrap(root.GetSection(RootSection)).GetChildren()
            .Select(c => c.Key)
            .Where(k => !KnownChildren.Contains(k, StringComparer.OrdinalIgnoreCase))
            .ToArray();
        if (unknown.Length > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join(", ", unknown.Select(k => $"{RootSection}:{k}"))}: unknown configuration section; the {RootSection} section holds only {string.Join(", ", KnownChildren.Select(k => $"{RootSection}:{k}"))}.");
        }
    }

    /// <summary>
    /// Rewrites the binder's "properties were not found" error so that it names each unknown key by its full configuration path.
    /// </summary>
    public static InvalidOperationException Describe(IConfiguration section, string path, InvalidOperationException error)
    {
        var message = error.Message;
        var colon = message.LastIndexOf(": ", StringComparison.Ordinal);
        var names = colon < 0 ? [] : QuotedName().Matches(message[colon..]).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var paths = names.Count == 0 ? [] : Descendants(section).Where(s => names.Contains(s.Key)).Select(s => s.Path).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return paths.Length == 0
            ? new InvalidOperationException($"{path}: {message}", error)
            : new InvalidOperationException(
                $"{string.Join(", ", paths)}: unknown configuration key{(paths.Length > 1 ? "s" : string.Empty)}; see the configuration reference for the keys under {path}.",
                error);
    }

    private static IEnumerable<IConfigurationSection> Descendants(IConfiguration section)
    {
        foreach (var child in section.GetChildren())
        {
            yield return child;
            foreach (var below in Descendants(child))
            {
                yield return below;
            }
        }
    }

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedName();
}
