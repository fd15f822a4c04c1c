using System.Reflection;
using System.Text.RegularExpressions;

namespace Mtls.Extensions.Tests.Naming;

/// <summary>
/// Keeps the test names of this assembly in the shape the style guide asks for: <c>Type_Scenario_Expected</c>, three
/// PascalCase parts joined by underscores, in a class named <c>…Tests</c>. Compiled into every test project (see
/// tests/Directory.Build.props), so a badly named [Fact] or [Theory] fails the run of the project it was added to.
/// </summary>
public sealed partial class TestNamingTests
{
    [GeneratedRegex("^[A-Z][A-Za-z0-9]*_[A-Z][A-Za-z0-9]*_[A-Z][A-Za-z0-9]*$")]
    private static partial Regex TypeScenarioExpected();

    /// <summary>Test methods as xUnit discovers them: [Fact], [Theory] or a subclass, on a non-abstract class.</summary>
    private static IEnumerable<MethodInfo> TestMethods(IEnumerable<Type> types) =>
        types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static))
            .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any());

    private static IEnumerable<Type> DiscoverableTypes() =>
        typeof(TestNamingTests).Assembly.GetTypes().Where(t => t.IsClass && (!t.IsAbstract || t.IsSealed));

    /// <summary>Every test method whose name is not <c>Type_Scenario_Expected</c>, as <c>Class.Method</c>.</summary>
    private static List<string> BadlyNamed(IEnumerable<Type> types) =>
        TestMethods(types)
            .Where(m => !TypeScenarioExpected().IsMatch(m.Name))
            .Select(m => $"{m.ReflectedType!.Name}.{m.Name}")
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void TestNames_EveryFactAndTheoryInTheAssembly_MatchTypeScenarioExpected()
    {
        var methods = TestMethods(DiscoverableTypes()).ToList();
        Assert.Contains(methods, m => m.DeclaringType == typeof(TestNamingTests));

        var bad = BadlyNamed(DiscoverableTypes());

        Assert.True(bad.Count == 0, "test names that are not Type_Scenario_Expected (three PascalCase parts joined by '_'):\n" + string.Join('\n', bad));
    }

    [Fact]
    public void TestClasses_HoldingFactsOrTheories_EndInTests()
    {
        var bad = TestMethods(DiscoverableTypes())
            .Select(m => m.ReflectedType!.Name)
            .Where(name => !name.EndsWith("Tests", StringComparison.Ordinal))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(bad.Count == 0, "test classes not named <TypeUnderTest>Tests:\n" + string.Join('\n', bad));
    }

    [Fact]
    public void TestNames_BadlyNamedSamples_EachReported()
    {
        Assert.Equal(
            [
                "BadlyNamedSamples.Four_Parts_Are_TooMany",
                "BadlyNamedSamples.Lower_case_Parts",
                "BadlyNamedSamples.OnlyTwo_Parts",
                "BadlyNamedSamples.Type_Scenario_403Digit",
                "BadlyNamedSamples.Type__Empty",
            ],
            BadlyNamed([typeof(BadlyNamedSamples)]));
    }

    /// <summary>Abstract, so xUnit never runs these; only the naming check above reads them.</summary>
    public abstract class BadlyNamedSamples
    {
        [Fact]
        public void Type_Scenario_Expected() => Assert.True(true);

        [Fact]
        public void Four_Parts_Are_TooMany() => Assert.True(true);

        [Fact]
        public void OnlyTwo_Parts() => Assert.True(true);

        [Fact]
        public void Lower_case_Parts() => Assert.True(true);

        [Theory]
        [InlineData(1)]
        public void Type_Scenario_403Digit(int value) => Assert.Equal(1, value);

        [Fact]
        public void Type__Empty() => Assert.True(true);

        public static void Not_A_Test_Helper() => Assert.True(true);
    }
}
