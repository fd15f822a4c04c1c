using Microsoft.AspNetCore.Http;
using Mtls.Extensions.AspNetCore.Internal.Forwarding;
using static Mtls.Extensions.AspNetCore.Tests.Forwarding.ForwardingTestData;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>Every format with headers built as its proxy documents them, and hostile inputs: clear rejections, never exceptions.</summary>
public sealed class ForwardedCertificateReaderTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static ForwardedCertificate Read(MtlsForwardedCertificateFormat format, params (string Name, string Value)[] headers) =>
        Read(format, null, headers);

    private static ForwardedCertificate Read(MtlsForwardedCertificateFormat format, string? header, params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary.Append(name, value);
        }

        return ForwardedCertificateReader.Read(dictionary, format, header ?? ForwardedCertificateReader.DefaultHeader(format));
    }

    private void AssertLeafAndChain(ForwardedCertificate read, bool withChain)
    {
        Assert.Null(read.Error);
        Assert.NotNull(read.Certificates);
        Assert.Equal(pki.Orders.Certificate.RawData, read.Certificates[0]);
        if (withChain)
        {
            Assert.Equal(2, read.Certificates.Length);
            Assert.Equal(pki.Issuing.Certificate.RawData, read.Certificates[1]);
        }
        else
        {
            Assert.Single(read.Certificates);
        }
    }

    [Fact]
    public void Read_Rfc9440LeafAndChain_ReturnsBoth() =>
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.Rfc9440, ("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate))), withChain: true);

    [Fact]
    public void Read_Rfc9440ChainOnSeveralLinesWithParameters_ReturnsEveryElement()
    {
        var read = Read(MtlsForwardedCertificateFormat.Rfc9440, ("Client-Cert", SfBinary(pki.Orders.Certificate) + ";x=1"), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Root.Certificate)));
        Assert.Equal(3, read.Certificates!.Length);
        Assert.Equal(pki.Root.Certificate.RawData, read.Certificates[2]);
    }

    [Fact]
    public void Read_EnvoyXfccWithQuotedEscapes_TakesCertAndChainOfTheLastElementOnly()
    {
        var first = $"By=spiffe://example.org/a;Hash=1;Cert=\"{UrlEncodedPem(pki.Billing.Certificate)}\"";
        var last = $"By=spiffe://example.org/b;Subject=\"CN=a\\\"b,O=c;d\";URI=spiffe://example.org/ns/prod/sa/billing;DNS=billing;Cert=\"{UrlEncodedPem(pki.Orders.Certificate)}\";Chain=\"{UrlEncodedPem(pki.Orders.Certificate, pki.Issuing.Certificate)}\"";
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.Envoy, ("X-Forwarded-Client-Cert", first + "," + last)), withChain: true);
        // The same two elements on two header lines (as a proxy that appends a line rather than a comma).
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.Envoy, ("X-Forwarded-Client-Cert", first), ("X-Forwarded-Client-Cert", last)), withChain: true);
    }

    [Fact]
    public void Read_EnvoyLastElementWithoutCertificate_IsAbsentEvenIfAnEarlierOneHasOne()
    {
        var read = Read(MtlsForwardedCertificateFormat.Envoy, ("X-Forwarded-Client-Cert", $"Cert=\"{UrlEncodedPem(pki.Orders.Certificate)}\",By=spiffe://example.org/b;URI=spiffe://example.org/ns/prod/sa/orders"));
        Assert.True(read.IsAbsent);
    }

    [Fact]
    public void Read_EnvoyChainNotStartingWithCert_IsMalformed()
    {
        var read = Read(MtlsForwardedCertificateFormat.Envoy, ("X-Forwarded-Client-Cert", $"Cert=\"{UrlEncodedPem(pki.Orders.Certificate)}\";Chain=\"{UrlEncodedPem(pki.Billing.Certificate)}\""));
        Assert.Contains("Chain does not start with the certificate in Cert", read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NginxEscapedCertInConfiguredHeader_ReturnsLeaf() =>
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.Nginx, "X-Client-Cert-Escaped", ("X-Client-Cert-Escaped", UrlEncodedPem(pki.Orders.Certificate))), withChain: false);

    [Fact]
    public void Read_HaproxyBase64Der_ReturnsLeaf() =>
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.Haproxy, ("X-SSL-Client-Cert", Convert.ToBase64String(pki.Orders.Certificate.RawData))), withChain: false);

    [Fact]
    public void Read_AzureArrBase64Der_ReturnsLeaf() =>
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.AzureArr, ("X-ARR-ClientCert", Convert.ToBase64String(pki.Orders.Certificate.RawData))), withChain: false);

    [Fact]
    public void Read_AwsAlbPassthroughChainAndVerifyLeaf_ReturnChainAndLeaf()
    {
        // ALB keeps '+', '=' and '/' unescaped in its URL encoding.
        var chain = UrlEncodedPem(pki.Orders.Certificate, pki.Issuing.Certificate).Replace("%2B", "+", StringComparison.Ordinal).Replace("%2F", "/", StringComparison.Ordinal).Replace("%3D", "=", StringComparison.Ordinal);
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.AwsAlb, ("X-Amzn-Mtls-Clientcert", chain)), withChain: true);
        AssertLeafAndChain(Read(MtlsForwardedCertificateFormat.AwsAlb, ("X-Amzn-Mtls-Clientcert-Leaf", UrlEncodedPem(pki.Orders.Certificate))), withChain: false);
    }

    [Theory]
    [InlineData(MtlsForwardedCertificateFormat.Rfc9440)]
    [InlineData(MtlsForwardedCertificateFormat.Envoy)]
    [InlineData(MtlsForwardedCertificateFormat.Nginx)]
    [InlineData(MtlsForwardedCertificateFormat.Haproxy)]
    [InlineData(MtlsForwardedCertificateFormat.AwsAlb)]
    [InlineData(MtlsForwardedCertificateFormat.AzureArr)]
    public void Read_NoHeader_IsAbsent(MtlsForwardedCertificateFormat format) => Assert.True(Read(format).IsAbsent);

    public static TheoryData<MtlsForwardedCertificateFormat, string, string, string> Hostile() => new()
    {
        { MtlsForwardedCertificateFormat.Rfc9440, "Client-Cert", ":" + new string('A', 70_000) + ":", "characters long" },
        { MtlsForwardedCertificateFormat.Rfc9440, "Client-Cert", ":QUJD\u0001:", "control or non-ASCII character (U+0001) at position 5" },
        { MtlsForwardedCertificateFormat.Rfc9440, "Client-Cert", ":QUJD", "no ':' closes it" },
        { MtlsForwardedCertificateFormat.Rfc9440, "Client-Cert", "QUJD", "expected ':' to open it" },
        { MtlsForwardedCertificateFormat.Rfc9440, "Client-Cert", ":Q$JD:", "not base64" },
        { MtlsForwardedCertificateFormat.Rfc9440, "Client-Cert", ":QUJD: trailing", "not a Structured Field byte sequence" },
        { MtlsForwardedCertificateFormat.Envoy, "X-Forwarded-Client-Cert", string.Join(',', Enumerable.Repeat("By=a", 40)), "more than 32 elements" },
        { MtlsForwardedCertificateFormat.Envoy, "X-Forwarded-Client-Cert", "Cert=\"unterminated", "unterminated quote" },
        { MtlsForwardedCertificateFormat.Envoy, "X-Forwarded-Client-Cert", "Cert=a;Cert=b", "Cert appears twice" },
        { MtlsForwardedCertificateFormat.Envoy, "X-Forwarded-Client-Cert", "garbage", "expected Key=Value" },
        { MtlsForwardedCertificateFormat.Nginx, "X-SSL-Client-Cert", "-----BEGIN%20CERTIFICATE-----%0AQUJD", "no complete -----BEGIN CERTIFICATE----- block" },
        { MtlsForwardedCertificateFormat.Nginx, "X-SSL-Client-Cert", "hello%0A-----BEGIN%20CERTIFICATE-----%0AQUJD%0A-----END%20CERTIFICATE-----%0A", "text outside its PEM blocks" },
        { MtlsForwardedCertificateFormat.Nginx, "X-SSL-Client-Cert", "-----BEGIN%20PRIVATE%20KEY-----%0AQUJD%0A-----END%20PRIVATE%20KEY-----%0A", "not a CERTIFICATE" },
        { MtlsForwardedCertificateFormat.Nginx, "X-SSL-Client-Cert", "%00%1B", "control or non-ASCII character (U+0000) after URL decoding" },
        { MtlsForwardedCertificateFormat.Haproxy, "X-SSL-Client-Cert", "not base64!", "is not base64" },
        { MtlsForwardedCertificateFormat.AzureArr, "X-ARR-ClientCert", "\u00e9t\u00e9", "non-ASCII" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Read_HostileInput_IsMalformedWithASentenceNamingTheHeader(MtlsForwardedCertificateFormat format, string header, string value, string expected)
    {
        var read = Read(format, ("Ignored", "x"), (header, value));
        Assert.Null(read.Certificates);
        Assert.NotNull(read.Error);
        Assert.Contains(header, read.Error, StringComparison.Ordinal);
        Assert.Contains(expected, read.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("QUJD", read.Error, StringComparison.Ordinal);   // never the header's content
    }

    [Fact]
    public void Read_TwoCopiesOfASingleValueHeader_IsMalformed()
    {
        var value = Convert.ToBase64String(pki.Orders.Certificate.RawData);
        var read = Read(MtlsForwardedCertificateFormat.Haproxy, ("X-SSL-Client-Cert", value), ("X-SSL-Client-Cert", value));
        Assert.Contains("appears 2 times", read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TooManyChainCertificates_IsMalformed()
    {
        var chain = string.Join(", ", Enumerable.Repeat(SfBinary(pki.Issuing.Certificate), ForwardedCertificateReader.MaxCertificates));
        var read = Read(MtlsForwardedCertificateFormat.Rfc9440, ("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", chain));
        Assert.Contains("more than 9 certificates", read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LeafOnlyFormatWithTwoPemBlocks_IsMalformed()
    {
        var read = Read(MtlsForwardedCertificateFormat.Nginx, ("X-SSL-Client-Cert", UrlEncodedPem(pki.Orders.Certificate, pki.Issuing.Certificate)));
        Assert.Contains("more than one certificate", read.Error, StringComparison.Ordinal);
    }
}
