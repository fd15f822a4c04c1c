namespace Mtls.Extensions.Tests.Interop;

/// <summary>
/// A test that needs an external interop peer (curl, openssl, nginx from Debian packages). When the tool is missing the
/// test is skipped with the command that installs it, so `dotnet test` works on a machine with only the .NET SDK; CI
/// (<c>.ci/run</c>, which installs the tools) sets <c>MTLS_REQUIRE_INTEROP=1</c> and a missing tool fails instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class InteropFactAttribute : FactAttribute
{
    public InteropFactAttribute(params string[] tools) => Skip = InteropTools.SkipReason(tools);
}

/// <summary>A theory variant of <see cref="InteropFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class InteropTheoryAttribute : TheoryAttribute
{
    public InteropTheoryAttribute(params string[] tools) => Skip = InteropTools.SkipReason(tools);
}

internal static class InteropTools
{
    /// <summary>Null (run) when every tool is installed or CI requires them; else why the test is skipped.</summary>
    public static string? SkipReason(string[] tools)
    {
        var missing = tools.Where(t => !Exists(t)).ToArray();
        return missing.Length == 0 || Required
            ? null
            : $"needs {string.Join(", ", missing)}: apt-get install -y curl openssl nginx-light (or run bash .ci/run)";
    }

    public static bool Required => Environment.GetEnvironmentVariable("MTLS_REQUIRE_INTEROP") == "1";

    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
