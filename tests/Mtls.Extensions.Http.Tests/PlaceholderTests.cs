namespace Mtls.Extensions.Http.Tests;

public sealed class PlaceholderTests
{
    [Fact]
    public void Assembly_Loads() => Assert.NotNull(typeof(PlaceholderTests).Assembly);
}
