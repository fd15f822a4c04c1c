using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// No shipping package sees another's internals: <c>InternalsVisibleTo</c> goes to test projects and benchmarks only.
/// A package calling a sibling's internal member breaks every user who upgrades one package and not the other
/// (<see cref="MissingMethodException"/> at run time); what siblings share is public API in
/// <c>Mtls.Extensions.Infrastructure</c> or shared source in <c>src/Shared</c>.
/// </summary>
public sealed partial class PackageBoundaryTests
{
    [Fact]
    public void ShippingPackages_InternalsVisibleTo_NamesNoOtherShippingPackage()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        var packages = Directory.GetDirectories(src)
            .Select(Path.GetFileName)
            .Where(name => File.Exists(Path.Combine(src, name!, name + ".csproj")))
            .Select(name => name!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var violations = new List<string>();

        // As declared in the project files...
        foreach (var package in packages)
        {
            var project = File.ReadAllText(Path.Combine(src, package, package + ".csproj"));
            violations.AddRange(InternalsVisibleToItem().Matches(project)
                .Select(m => m.Groups[1].Value)
                .Where(packages.Contains)
                .Select(friend => $"{package}.csproj grants InternalsVisibleTo {friend}"));
        }

        // ...and as compiled into the assemblies (an [assembly: InternalsVisibleTo] in source counts too).
        var inspected = 0;
        foreach (var package in packages)
        {
            var assembly = Assembly.Load(new AssemblyName(package));
            inspected++;
            violations.AddRange(assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
                .Select(a => a.AssemblyName.Split(',')[0].Trim())
                .Where(packages.Contains)
                .Select(friend => $"{package}.dll grants InternalsVisibleTo {friend}"));
        }

        Assert.True(packages.Count >= 7, $"found only {packages.Count} packages under {src}: {string.Join(", ", packages)}");
        Assert.Equal(packages.Count, inspected);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void CorePackage_InternalsVisibleTo_StillReachesItsTestProjects()
    {
        // The check above must not pass because the attribute cannot be read: the core's grants to tests are visible.
        var friends = typeof(PeerCertificateValidator).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .ToArray();

        Assert.Contains("Mtls.Extensions.Tests", friends);
        Assert.Contains("Mtls.Extensions.AspNetCore.Tests", friends);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mtls.Extensions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Mtls.Extensions.sln was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("<InternalsVisibleTo\\s+Include=\"([^\"]+)\"")]
    private static partial Regex InternalsVisibleToItem();
}
