using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Diagnostics.Metrics;
using Mtls.Extensions.AspNetCore.Internal.Forwarding;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>Headers built exactly as each proxy documents them, and the test app's /forwarded view.</summary>
internal static class ForwardingTestData
{
    public const string IngressId = "spiffe://example.org/ns/infra/sa/ingress";

    public static string Pem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>nginx's $ssl_client_escaped_cert, Envoy's Cert=, AWS ALB: PEM, URL-encoded (newlines as %0A).</summary>
    public static string UrlEncodedPem(params X509Certificate2[] certificates) =>
        Uri.EscapeDataString(string.Concat(certificates.Select(Pem)));

    public static string SfBinary(X509Certificate2 certificate) => ":" + Convert.ToBase64String(certificate.RawData) + ":";

    public static string Xfcc(X509Certificate2 leaf, params X509Certificate2[] chain) =>
        $"Hash=abc;Cert=\"{UrlEncodedPem(leaf)}\";Chain=\"{UrlEncodedPem([leaf, .. chain])}\";Subject=\"CN=x,O=y\";URI=spiffe://example.org/ns/prod/sa/billing";

    public static async Task<ForwardedView> GetForwardedAsync(HttpClient client, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(client, "/forwarded", headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ForwardedView>(JsonSerializerOptions.Web))!;
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request);
    }

    public static MetricCollector<long> CollectRemovals(MtlsTestHost host) =>
        new(host.Services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, ForwardingMetrics.HeadersRemovedInstrument);

    public static Dictionary<string, string?> Proxy(int index, string? peer = null, string? network = null, string format = "Rfc9440", string? header = null, Dictionary<string, string?>? into = null)
    {
        var settings = into ?? [];
        var key = $"Mtls:Server:Forwarding:Proxies:{index}";
        if (peer is not null) settings[$"{key}:Peer"] = peer;
        if (network is not null) settings[$"{key}:Network"] = network;
        settings[$"{key}:Format"] = format;
        if (header is not null) settings[$"{key}:Header"] = header;
        return settings;
    }

    public static TestCertificate IssueIngress(TestPkiFixture pki) => pki.Issuing.IssueClient("ingress", IngressId);
}

public sealed record ForwardedView(string? Peer, string? Reason, string? ForwardedBy, string? Proxy, string? ClientCertificate, string[] Headers);
