using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.AspNetCore.TestApp;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing.AspNetCore;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>Probes without a client certificate (a plain-HTTP port), and the detailed JSON report for authenticated peers.</summary>
public sealed class HealthProbeTests
{
    [Fact]
    public async Task Probes_OnThePlainHttpPort_AnswerWithoutACertificateAndNameNothing()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker> { ListenHttp = true };
        using var probe = app.CreateHttpClient();

        using var live = await probe.GetAsync(new Uri("/healthz/live", UriKind.Relative));
        using var ready = await probe.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        using var protectedEndpoint = await probe.GetAsync(new Uri("/ping", UriKind.Relative));
        using var report = await probe.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, protectedEndpoint.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, report.StatusCode);
    }

    [InteropFact("curl")]
    public async Task Probes_CurlWithoutACertificate_GetsReady()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker> { ListenHttp = true };
        var url = new Uri(app.HttpAddress, "/healthz/ready").ToString();

        var (exitCode, output) = await ExternalProcess.RunAsync("curl", ["-sS", "--fail", url]);

        Assert.True(exitCode == 0, output);
        Assert.Equal("Healthy", output.Trim());
    }

    [Fact]
    public async Task Readiness_IsUnready_WhileADeclaredSourceHasNotLoaded()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>
        {
            ListenHttp = true,
            // A source an entry point declared and has not created yet, as at start-up before its first load.
            ConfigureTestServices = services => MtlsSourceDeclaration.Declare(services, "client:not-loaded-yet"),
        };
        using var probe = app.CreateHttpClient();

        using var ready = await probe.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        using var live = await probe.GetAsync(new Uri("/healthz/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Readiness_TurnsUnready_WhenTheServerCertificateExpired()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>
        {
            ListenHttp = true,
            ConfigureTestServices = services => services.AddSingleton<TimeProvider>(time),
        };
        using var probe = app.CreateHttpClient();
        using var before = await probe.GetAsync(new Uri("/healthz/ready", UriKind.Relative));

        time.SetUtcNow(app.ServerCertificate.Certificate.NotAfter.ToUniversalTime().AddMinutes(1));
        using var after = await probe.GetAsync(new Uri("/healthz/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.StatusCode);
    }

    [Fact]
    public async Task JsonReport_ForAnAuthenticatedPeer_NamesEachCertificateAndItsLifetime()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>();
        using var orders = app.IssueClient("orders", TestPkiFixture.OrdersId);
        using var client = app.CreateMtlsClient(orders);

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var certificate = json.RootElement.GetProperty("entries").GetProperty("mtls:server:certificate");
        Assert.Equal("Healthy", certificate.GetProperty("status").GetString());
        var data = certificate.GetProperty("data");
        Assert.Equal("CN=localhost", data.GetProperty("subject").GetString());
        Assert.Equal(app.ServerCertificate.ThumbprintSha256, data.GetProperty("thumbprintSha256").GetString());
        Assert.True(data.GetProperty("secondsToExpiry").GetDouble() > 0);
        Assert.InRange(data.GetProperty("lifetimeRemaining").GetDouble(), 0.5, 1.0);
        Assert.True(DateTimeOffset.TryParse(data.GetProperty("notAfter").GetString(), out _));
        var trust = json.RootElement.GetProperty("entries").GetProperty("mtls:server:trust-bundle").GetProperty("data");
        Assert.Equal("CN=Test Root CA", trust.GetProperty("subject").GetString());
    }
}
