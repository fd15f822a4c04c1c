using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>Issue 12 items 6, 9 and 10 through a real host: plain-HTTP apps, handshakes the validator never saw, file limits.</summary>
public sealed class StartupHardeningTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static string AllMessages(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }

        return string.Join(" | ", messages);
    }

    [Fact]
    public void OnlyPlainHttpEndpoints_StopStartup_NamingThem()
    {
        using var host = new MtlsTestHost(pki, wiring: EndpointWiring.PlainHttp);
        var ex = Assert.ThrowsAny<Exception>(() => host.StartServer());
        var text = AllMessages(ex);
        Assert.Contains("every endpoint of the app is plain HTTP (http://127.0.0.1:", text, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:AllowPlainHttpEndpoints", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyPlainHttpEndpoints_ExplicitlyAllowed_Start()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:AllowPlainHttpEndpoints"] = "true" }, EndpointWiring.PlainHttp);
        host.StartServer();
        Assert.Equal("http", host.BaseAddress.Scheme);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal("hello", await client.GetStringAsync("/anonymous"));
    }

    [Theory]
    [InlineData(EndpointWiring.UseMutualTls)]
    [InlineData(EndpointWiring.Urls)]
    public async Task OversizedClientCertificate_NeverReachesTheValidator_IsCountedAndLoggedAsHandshakeFailed(EndpointWiring wiring)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = new MtlsTestHost(pki, wiring: wiring, configureServices: s => s.AddFakeLogging(o => o.OutputSink = line =>
        {
            if (line.Contains("HandshakeFailed", StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }));
        host.StartServer();
        using var collector = host.CollectValidations();
        using var huge = CreateHugeCertificate(1024 * 1024);
        using var client = host.CreateMtlsClient(SslStreamCertificateContext.Create(huge, new X509Certificate2Collection(), offline: true));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/anonymous"));

        // The server sees the connection end just after the client saw the failure: wait for its log line (bounded).
        await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var logs = host.Services.GetFakeLogCollector();

        var failed = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 252);
        Assert.Contains("127.0.0.1", failed.Message, StringComparison.Ordinal);
        Assert.Contains("HandshakeFailed", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 201);
        Assert.Equal([nameof(MtlsRejectionReason.HandshakeFailed)], MutualTlsServerTests.Reasons(collector));
    }

    [Fact]
    public void TrustFileAboveTheLimit_StopsStartup_NamingTheKeyAndTheLimit()
    {
        var big = Path.Combine(pki.Directory, "big-ca.pem");
        File.WriteAllText(big, File.ReadAllText(pki.CaPath) + new string('#', 2 * 1024 * 1024));
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Path"] = big });
        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));
        Assert.Contains("Mtls:Server:TrustedCa:Path", text, StringComparison.Ordinal);
        Assert.Contains("above the limit of 1048576 bytes", text, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFileReadableByOthers_LogsOneWarning_WithPathAndMode()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var key = Path.Combine(pki.Directory, "open.key");
        File.Copy(pki.ServerKeyPath, key, overwrite: true);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:Certificate:KeyPath"] = key }, configureServices: s => s.AddFakeLogging());
        host.StartServer();

        var warning = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 103);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains(key, warning.Message, StringComparison.Ordinal);
        Assert.Contains("0644", warning.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var closed = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:Certificate:KeyPath"] = key }, configureServices: s => s.AddFakeLogging());
        closed.StartServer();
        Assert.DoesNotContain(closed.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 103);
    }

    private static X509Certificate2 CreateHugeCertificate(int extensionBytes)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=huge", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.55555.1", new byte[extensionBytes], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
