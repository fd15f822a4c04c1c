namespace Mtls.Extensions.Tests;

public sealed class PeerTextTests
{
    [Theory]
    [InlineData("a\rb", "a\\u000Db")]
    [InlineData("a\nb", "a\\u000Ab")]
    [InlineData("\u001b[31mred", "\\u001B[31mred")]
    [InlineData("nul\0", "nul\\u0000")]
    [InlineData("evil\u202Etxt.exe", "evil\\u202Etxt.exe")]
    [InlineData("line\u2028sep", "line\\u2028sep")]
    [InlineData("del\u007f c1\u0085", "del\\u007F c1\\u0085")]
    [InlineData("CN=orders, O=Example", "CN=orders, O=Example")]
    [InlineData("Zürich ✓ 😀", "Zürich ✓ 😀")]
    public void Escape_ControlFormatAndBidiCharacters_BecomeUnicodeEscapes(string raw, string expected) =>
        Assert.Equal(expected, PeerText.Escape(raw));

    [Fact]
    public void Escape_IsIdempotent_AndNullIsEmpty()
    {
        var once = PeerText.Escape("x\r\n\u202E\0y");
        Assert.Equal(once, PeerText.Escape(once));
        Assert.Equal(string.Empty, PeerText.Escape(null));
    }

    [Fact]
    public void Escape_CapsTheLength_WithoutSplittingAnEscapeOrASurrogatePair()
    {
        var capped = PeerText.Escape(new string('a', 10_000), 100);
        Assert.StartsWith(new string('a', 100), capped, StringComparison.Ordinal);
        Assert.EndsWith("…(+9900 chars)", capped, StringComparison.Ordinal);

        var escapes = PeerText.Escape(new string('\n', 100), 20);
        Assert.Equal("\\u000A\\u000A\\u000A…(+97 chars)", escapes);

        var emoji = PeerText.Escape("abcdefghijklmno😀😀", 16);
        Assert.Equal("abcdefghijklmno…(+4 chars)", emoji);
        Assert.Equal("x\\uD800y", PeerText.Escape("x\uD800y"));
    }

    [Fact]
    public void RejectionMessage_WhereverItGoes_IsEscaped()
    {
        var result = PeerValidationResult.Failure(PeerRole.Client, MtlsRejectionReason.SelfSigned, "The client certificate CN=x\r\nAccepted client certificate spiffe://example.org/admin is self-signed.");
        Assert.DoesNotContain('\n', result.Message);
        Assert.DoesNotContain('\n', result.ToString());
        Assert.Contains("\\u000D\\u000AAccepted", result.Message, StringComparison.Ordinal);
    }
}
