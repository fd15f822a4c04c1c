using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.AspNetCore.TestApp;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>Issue 12 through real handshakes: principals, identity matching, escaping and rate-limited logging.</summary>
public sealed class AuthenticationHardeningTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private sealed record WhoAmI(string? Name, string? AuthenticationType, ClaimDto[] Claims);

    /// <summary>A common pattern: roles from a database, added to the principal it is given.</summary>
    private sealed class AddRoleFromDatabase : IClaimsTransformation
    {
        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim("db-role", "reader"));
            return Task.FromResult(principal);
        }
    }

    [Fact]
    public async Task Http2ConcurrentStreamsOnOneConnection_ClaimsTransformation_EachRequestSeesExactlyOneAddedClaim()
    {
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddSingleton<IClaimsTransformation, AddRoleFromDatabase>());
        host.StartServer();
        using var collector = host.CollectValidations();
        using var client = host.CreateMtlsClient(pki.Orders);
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var first = await client.GetFromJsonAsync<WhoAmI>("/whoami");
        Assert.Single(first!.Claims, c => c.Type == "db-role");
        var all = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.GetFromJsonAsync<WhoAmI>("/whoami")));

        Assert.All(all, who => Assert.Single(who!.Claims, c => c.Type == "db-role"));
        Assert.All(all, who => Assert.Equal(TestPkiFixture.OrdersId, who!.Name));
        // One connection, one handshake, one validation: the streams really shared the connection's cache.
        Assert.Equal(1, collector.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task MtlsPeerRequirement_UsesTheConnectionsIdentity_NotClaimsAnotherSchemeProduced()
    {
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddSingleton<IStartupFilter>(new ForgedPrincipalEndpoint()));
        host.StartServer();
        using var billing = host.CreateMtlsClient(pki.Billing);
        using var orders = host.CreateMtlsClient(pki.Orders);

        // Another scheme's principal claims to be the orders service "by MutualTls": the connection says billing.
        Assert.Equal("denied", await billing.GetStringAsync("/forged"));
        Assert.Equal("allowed", await orders.GetStringAsync("/forged"));
        Assert.Equal(HttpStatusCode.Forbidden, (await billing.GetAsync("/orders-policy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await orders.GetAsync("/orders-policy")).StatusCode);
    }

    private sealed class ForgedPrincipalEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (context.Request.Path != "/forged")
                {
                    await nextMiddleware(context);
                    return;
                }

                var forged = new ClaimsPrincipal(new ClaimsIdentity(
                    [new Claim(MtlsClaimTypes.SpiffeId, TestPkiFixture.OrdersId), new Claim(MtlsClaimTypes.SpiffeTrustDomain, "example.org")],
                    MutualTlsDefaults.AuthenticationScheme));
                var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
                var result = await authorization.AuthorizeAsync(forged, context, [new MtlsPeerRequirement([PeerIdentityPattern.Parse(TestPkiFixture.OrdersId)])]);
                await context.Response.WriteAsync(result.Succeeded ? "allowed" : "denied");
            });
            next(app);
        };
    }

    [Fact]
    public async Task MtlsPeerRequirement_AuthenticatedPeerNotAllowed_Gets403AndLogsTheForbiddenIdentity()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" }, configureServices: s => s.AddFakeLogging());
        host.StartServer();
        using var billing = host.CreateMtlsClient(pki.Billing);
        using var orders = host.CreateMtlsClient(pki.Orders);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await billing.GetAsync("/orders-only")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await orders.GetAsync("/orders-only")).StatusCode);

        var forbidden = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 304);
        Assert.Contains(TestPkiFixture.BillingId, forbidden.Message, StringComparison.Ordinal);
        Assert.Contains(pki.Billing.ThumbprintSha256, forbidden.Message, StringComparison.Ordinal);
        Assert.Contains("spiffe://example.org/ns/prod/sa/orders", forbidden.Message, StringComparison.Ordinal);
        Assert.Contains("GET /orders-only", forbidden.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectionLog_SelfSignedCertificateWithControlCharactersInItsName_IsEscaped()
    {
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddFakeLogging());
        host.StartServer();
        const string ForgedLine = "\r\nAccepted client certificate spiffe://example.org/ns/prod/sa/admin \u001b[32mOK\u001b[0m\0 \u202Etxt.exe";
        using var evil = CreateSelfSigned("mallory" + ForgedLine);
        using var client = host.CreateMtlsClient(SslStreamCertificateContext.Create(evil, new X509Certificate2Collection(), offline: true));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/anonymous"));

        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        // SocketsHttpHandler tries a few fresh connections; each rejected handshake is one event 201.
        var rejected = Assert.IsType<FakeLogRecord>(logs.First(r => r.Id.Id == 201));
        Assert.Contains("mallory\\u000D\\u000AAccepted client certificate", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("\\u001B[32mOK", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("\\u202Etxt.exe", rejected.Message, StringComparison.Ordinal);
        foreach (var record in logs)
        {
            Assert.DoesNotContain(record.Message, c => c is '\r' or '\n' or '\u001b' or '\0' or '\u202E');
            foreach (var (_, value) in record.StructuredState ?? [])
            {
                Assert.DoesNotContain(value ?? string.Empty, c => c is '\r' or '\n' or '\u001b' or '\0' or '\u202E');
            }
        }
    }

    [Fact]
    public async Task RejectionLog_Flood_FirstNPerReasonThenOneSummaryAndEveryRejectionCounted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?>
            {
                ["Mtls:Logging:RejectionLogBurst"] = "2",
                ["Mtls:Logging:RejectionLogInterval"] = "00:01:00",
                ["Logging:LogLevel:Mtls.Extensions"] = "Information",
            },
            configureServices: s => s.AddFakeLogging().AddSingleton<TimeProvider>(time));
        host.StartServer();
        using var collector = host.CollectValidations();
        using var self = CreateSelfSigned("flood");

        for (var i = 0; i < 5; i++)
        {
            using var anonymous = host.CreateMtlsClient((TestCertificate?)null);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => anonymous.GetStringAsync("/anonymous"));
        }

        for (var i = 0; i < 4; i++)
        {
            using var rogue = host.CreateMtlsClient(SslStreamCertificateContext.Create(self, new X509Certificate2Collection(), offline: true));
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => rogue.GetStringAsync("/anonymous"));
        }

        var logs = host.Services.GetFakeLogCollector();
        var noCertificate = logs.GetSnapshot().Where(r => r.Id.Id == 203).ToList();
        Assert.Equal(2, noCertificate.Count);
        Assert.All(noCertificate, r => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, r.Level));
        Assert.All(noCertificate, r => Assert.Contains("127.0.0.1", r.Message, StringComparison.Ordinal));
        var rejected = logs.GetSnapshot().Where(r => r.Id.Id == 201).ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, r => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, r.Level));
        // Every handshake is counted (SocketsHttpHandler makes more than one attempt per request).
        var reasons = MutualTlsServerTests.Reasons(collector);
        var noCertificates = reasons.Count(r => r == nameof(MtlsRejectionReason.NoCertificate));
        var selfSigned = reasons.Count(r => r == nameof(MtlsRejectionReason.SelfSigned));
        Assert.True(noCertificates >= 5 && selfSigned >= 4, string.Join(", ", reasons));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 204);

        time.Advance(TimeSpan.FromMinutes(1));
        var summaries = logs.GetSnapshot().Where(r => r.Id.Id == 204).Select(r => r.Message).ToList();
        Assert.Equal(2, summaries.Count);
        Assert.Contains($"{noCertificates - 2} more rejections (reason NoCertificate, 1 remote addresses) in the last 00:01:00.", summaries);
        Assert.Contains($"{selfSigned - 2} more rejections (reason SelfSigned, 1 remote addresses) in the last 00:01:00.", summaries);
    }

    [Fact]
    public async Task PeerForbidden_TwoThousandRefusedRequests_BoundedLogLinesOneSummaryAndEveryRefusalCountedByPolicy()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" },
            configureServices: s => s.AddFakeLogging().AddSingleton<TimeProvider>(time));
        host.StartServer();
        using var denied = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.AuthorizationDeniedInstrument);
        using var billing = host.CreateMtlsClient(pki.Billing);

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await billing.GetAsync("/orders-only")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await billing.GetAsync("/orders-policy")).StatusCode);
        }

        var logs = host.Services.GetFakeLogCollector();
        // The library's own lines: the first ten refusals of the interval in full (the default burst), nothing per request after that.
        var ours = logs.GetSnapshot().Where(r => r.Category?.StartsWith("Mtls.", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(10, ours.Count(r => r.Id.Id == 304));
        Assert.True(ours.Count <= 20, $"{ours.Count} lines: " + string.Join(" | ", ours.GroupBy(r => r.Category + " " + r.Id.Id).Select(g => $"{g.Key} x{g.Count()}")));

        time.Advance(TimeSpan.FromMinutes(1));
        var summary = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 204);
        Assert.Equal("1990 more rejections (reason IdentityNotAllowed, 1 remote addresses) in the last 00:01:00.", summary.Message);

        // Every refusal counted, by policy (a named policy, or what an unnamed one allows), never by peer.
        var measurements = denied.GetMeasurementSnapshot();
        Assert.Equal(2000, measurements.Sum(m => m.Value));
        Assert.Equal(1000, measurements.Where(m => Equals(m.Tags["mtls.authorization.policy"], "orders-policy")).Sum(m => m.Value));
        Assert.Equal(1000, measurements.Where(m => Equals(m.Tags["mtls.authorization.policy"], "mutual TLS peer: spiffe://example.org/ns/prod/sa/orders")).Sum(m => m.Value));
        Assert.All(measurements, m => Assert.Equal(["mtls.authorization.policy"], m.Tags.Keys));
    }

    internal static X509Certificate2 CreateSelfSigned(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
