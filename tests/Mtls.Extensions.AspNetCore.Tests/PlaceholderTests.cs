namespace Mtls.Extensions.AspNetCore.Tests;

public sealed class PlaceholderTests
{
    [Fact]
    public void Assembly_Loads() => Assert.NotNull(typeof(PlaceholderTests).Assembly);
}
