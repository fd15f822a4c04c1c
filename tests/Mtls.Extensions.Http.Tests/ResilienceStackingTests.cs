using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Testing;
using Polly;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>AddMtlsHttpClient(...).AddStandardResilienceHandler(): one pipeline, never two stacked, and no retried rejections.</summary>
public sealed class ResilienceStackingTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";

    [Fact]
    public async Task StandardResilienceHandler_OnTop_ReplacesTheDefaultPipelineInsteadOfStacking()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        server.FlakyFailures = int.MaxValue;
        await using var provider = Client(server.BaseAddress, pki.Orders, standard: true);

        using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/flaky", UriKind.Relative));

        // The standard handler's 1 + 2 attempts; stacked on the default pipeline (1 + 3 each) it would be 12.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(3, server.FlakyHits);
    }

    [Fact]
    public async Task StandardResilienceHandler_OnTop_NeverRetriesACertificateRejection()
    {
        using var rogue = pki.Other.IssueClient("rogue", "spiffe://example.org/ns/prod/sa/orders");
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        await using var provider = Client(server.BaseAddress, rogue, standard: true);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/whoami", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task DefaultPipeline_WithoutAStandardHandler_StillRetries()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        server.FlakyFailures = 2;
        await using var provider = Client(server.BaseAddress, pki.Orders, standard: false);

        var body = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetStringAsync(new Uri("/flaky", UriKind.Relative));

        Assert.Equal("recovered", body);
        Assert.Equal(3, server.FlakyHits);
    }

    [Fact]
    public async Task DefaultPipeline_EveryAttempt_NotLoggedAtInformation()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        server.FlakyFailures = 1;
        await using var provider = Client(server.BaseAddress, pki.Orders, standard: false, logging: l => l.AddFakeLogging().SetMinimumLevel(LogLevel.Trace));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        for (var i = 0; i < 3; i++)
        {
            await client.GetStringAsync(new Uri("/whoami", UriKind.Relative));
        }

        await client.GetStringAsync(new Uri("/flaky", UriKind.Relative));

        var attempts = provider.GetFakeLogCollector().GetSnapshot().Where(r => r.Message.StartsWith("Execution attempt", StringComparison.Ordinal)).ToArray();
        Assert.Equal(5, attempts.Length); // 3 + the failed /flaky attempt + its retry: still logged, at the right level
        Assert.Single(attempts, r => r.Level == LogLevel.Warning);
        Assert.Equal(4, attempts.Count(r => r.Level == LogLevel.Debug));
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void HandlerChain_ResilienceEnabledOrNot_HasOneResilienceHandlerOrNone(bool enabled, int expected)
    {
        using var provider = Client(new Uri("https://localhost/"), pki.Orders, standard: false, resilience: enabled);

        var chain = new List<HttpMessageHandler>();
        for (HttpMessageHandler? handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(Name); handler is not null; handler = (handler as DelegatingHandler)?.InnerHandler)
        {
            chain.Add(handler);
        }

        // Off means off: not an empty pipeline that still costs a resilience context and telemetry per request.
        Assert.Equal(expected, chain.Count(h => h is Microsoft.Extensions.Http.Resilience.ResilienceHandler));
        Assert.DoesNotContain(chain, h => h.GetType().Name == "MtlsResilienceMarker");
        Assert.Equal("MtlsPrimaryHandler", chain[^1].GetType().Name);
    }

    [Fact]
    public async Task DefaultPipeline_Disabled_DoesNotRetry()
    {
        var (cert, key) = pki.Write(pki.Server);
        await using var server = await TestServer.StartMtlsAsync(cert, key, pki.CaPath);
        server.FlakyFailures = 2;
        await using var provider = Client(server.BaseAddress, pki.Orders, standard: false, resilience: false);

        using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/flaky", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, server.FlakyHits);
    }

    private ServiceProvider Client(Uri baseAddress, TestCertificate certificate, bool standard, Action<ILoggingBuilder>? logging = null, bool resilience = true)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging ?? (_ => { }));
        var builder = services.AddMtlsHttpClient(Name, o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Pem = certificate.ExportCertificatePem() + certificate.ExportKeyPem();
            o.TrustedCa.Path = pki.CaPath;
            o.Resilience.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
            o.Resilience.Enabled = resilience;
        });
        if (standard)
        {
            builder.AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = 2;
                o.Retry.Delay = TimeSpan.FromMilliseconds(10);
                o.Retry.BackoffType = DelayBackoffType.Constant;
                o.Retry.UseJitter = false;
            });
        }

        return services.BuildServiceProvider();
    }
}
