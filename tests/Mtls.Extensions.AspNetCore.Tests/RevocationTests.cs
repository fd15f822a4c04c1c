using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// Revocation now, not at the next handshake, on a real Kestrel with real handshakes: the denylist from configuration and
/// from a watched file, and CRL files, end the open keep-alive connections of a revoked client within 2 s, refuse its
/// resumed sessions (an openssl s_client -sess_in peer), and leave other clients alone.
/// </summary>
public sealed class RevocationTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(2);
    private const string Request = "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    private static MetricCollector<long> CollectClosed(IServiceProvider services) =>
        new(services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ConnectionsClosedInstrument);

    private static string Sha256(TestCertificate certificate) => Convert.ToHexString(SHA256.HashData(certificate.Certificate.RawData));

    private static async Task<TimeSpan> ClosedWithinAsync(MetricCollector<long> closed, Stopwatch clock)
    {
        await closed.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        var elapsed = clock.Elapsed;
        var measurement = Assert.Single(closed.GetMeasurementSnapshot());
        Assert.Equal(("trust_changed", nameof(MtlsRejectionReason.Revoked)), ((string)measurement.Tags["mtls.close.reason"]!, (string)measurement.Tags["error.type"]!));
        Assert.True(elapsed < Now, $"the connection of the revoked peer ended {elapsed.TotalMilliseconds:F0} ms after the change");
        return elapsed;
    }

    private (string Cert, string Key) Write(TestCertificate certificate, string name)
    {
        var cert = Path.Combine(pki.Directory, name + ".pem");
        var key = Path.Combine(pki.Directory, name + ".key");
        certificate.WritePem(cert, key);
        return (cert, key);
    }

    private static Task<(int, string)> SClientAsync(int port, string cert, string key, string session, bool resume) =>
        ExternalProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-cert", cert, "-key", key, "-cert_chain", cert, "-CAfile", Path.Combine(Path.GetDirectoryName(cert)!, "ca.pem"), "-tls1_3", resume ? "-sess_in" : "-sess_out", session, "-ign_eof"], Request);

    [Fact]
    public async Task DenyFromConfiguration_KeepAliveConnectionOfDeniedPeerEndsWithinTwoSeconds_OtherPeerKeepsItsConnection()
    {
        var configuration = new ReloadableConfiguration(new Dictionary<string, string?>());
        using var host = new MtlsTestHost(pki, configureConfiguration: c => c.Add(configuration));
        host.StartServer();
        using var closed = CollectClosed(host.Services);
        using var orders = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        using var billing = host.CreateMtlsClient(pki.Billing, maxConnections: 1);
        Assert.Equal("ok", await orders.GetStringAsync("/ping"));
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));
        Assert.Equal(2, host.Services.GetRequiredService<MutualTlsServer>().OpenConnections);

        var clock = Stopwatch.StartNew();
        configuration.Replace("Mtls:Server:Revocation", new Dictionary<string, string?> { ["Mtls:Server:Revocation:Deny:0"] = "sha256:" + Sha256(pki.Orders) });
        await ClosedWithinAsync(closed, clock);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => orders.GetStringAsync("/ping"));
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));
        Assert.Single(closed.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task DenyFromConfiguration_MalformedEntryOnReload_KeepsTheDenylistInForce()
    {
        var configuration = new ReloadableConfiguration(new Dictionary<string, string?> { ["Mtls:Server:Revocation:Deny:0"] = TestPkiFixture.OrdersId });
        using var host = new MtlsTestHost(pki, configureConfiguration: c => c.Add(configuration));
        host.StartServer();
        using var orders = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => orders.GetStringAsync("/ping"));

        configuration.Replace("Mtls:Server:Revocation", new Dictionary<string, string?> { ["Mtls:Server:Revocation:Deny:0"] = "sha256:nothex" });

        using var again = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => again.GetStringAsync("/ping"));
    }

    [Fact]
    public void DenyFromConfiguration_MalformedEntryAtStartup_FailsNamingTheKey()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:Revocation:Deny:0"] = "orders" });
        var error = Assert.ThrowsAny<Exception>(() => host.StartServer());
        Assert.Contains("Mtls:Server:Revocation:Deny:0: 'orders' is not a denylist entry", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CrlPath_MissingFileAtStartup_FailsNamingTheKey()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Crls:Path"] = Path.Combine(pki.Directory, "missing.crl") });
        var error = Assert.ThrowsAny<Exception>(() => host.StartServer());
        Assert.Contains("Mtls:Server:TrustedCa:Crls:Path", error.ToString(), StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task DenyPathChanged_KeepAliveConnectionEndsWithinTwoSeconds_ResumedSessionRefused()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-deny-file-").FullName;
        var denyPath = Path.Combine(dir, "deny.txt");
        FileWriter.WriteAtomically(denyPath, "# nobody is denied yet\n");
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:Revocation:DenyPath"] = denyPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        host.StartServer();
        using var handshakes = ResumptionTests.CollectHandshakes(host.Services);
        using var closed = CollectClosed(host.Services);
        var (cert, key) = Write(pki.Orders, "deny-file-orders");
        var session = Path.Combine(dir, "session");
        var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, session, resume: false);
        Assert.True(full.Contains("HTTP/1.1 200", StringComparison.Ordinal), full);
        using var keepAlive = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        Assert.Equal("ok", await keepAlive.GetStringAsync("/ping"));

        var clock = Stopwatch.StartNew();
        FileWriter.WriteAtomically(denyPath, $"# leaked on 2026-12-08\nspki-sha256:{Convert.ToHexString(SHA256.HashData(pki.Orders.Certificate.PublicKey.ExportSubjectPublicKeyInfo()))}\n");
        await ClosedWithinAsync(closed, clock);

        var (_, resumed) = await SClientAsync(host.BaseAddress.Port, cert, key, session, resume: true);
        Assert.Contains("Reused, TLSv1.3", resumed, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", resumed, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => keepAlive.GetStringAsync("/ping"));
        var outcomes = ResumptionTests.Handshakes(handshakes);
        Assert.Contains((true, nameof(MtlsRejectionReason.Revoked)), outcomes);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task CrlFileChanged_RevokedClientsKeepAliveConnectionEndsWithinTwoSeconds_OtherClientKeepsItsConnection()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-crl-").FullName;
        var crlPath = Path.Combine(dir, "issuing.crl");
        var thisUpdate = DateTimeOffset.UtcNow.AddMinutes(-1);
        FileWriter.WriteAtomically(crlPath, Crl(1, thisUpdate));
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:TrustedCa:Crls:Path"] = crlPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        host.StartServer();
        using var closed = CollectClosed(host.Services);
        using var orders = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        using var billing = host.CreateMtlsClient(pki.Billing, maxConnections: 1);
        Assert.Equal("ok", await orders.GetStringAsync("/ping"));
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));

        var clock = Stopwatch.StartNew();
        FileWriter.WriteAtomically(crlPath, Crl(2, thisUpdate.AddSeconds(30), pki.Orders));
        await ClosedWithinAsync(closed, clock);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => orders.GetStringAsync("/ping"));
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    public async Task CrlPastNextUpdate_AllowStaleCrlKey_DecidesFailClosedOrOpen(string? allowStale, bool accepted)
    {
        var dir = Directory.CreateTempSubdirectory("mtls-crl-stale-").FullName;
        var crlPath = Path.Combine(dir, "issuing.crl");
        var thisUpdate = DateTimeOffset.UtcNow.AddHours(-3);
        File.WriteAllText(crlPath, Crl(1, thisUpdate));   // nextUpdate two hours ago
        var settings = new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Crls:Path"] = crlPath };
        if (allowStale is not null)
        {
            settings["Mtls:Server:Revocation:AllowStaleCrl"] = allowStale;
        }

        using var host = new MtlsTestHost(pki, settings);
        host.StartServer();
        using var orders = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        var server = host.Services.GetRequiredService<MutualTlsServer>();
        var verdict = server.Validator.Validate(pki.Orders.PublicCopy(), pki.Orders.IntermediatesCollection(), server.Trust.Current, PeerRole.Client, server.PeerOptions);

        if (accepted)
        {
            Assert.True(verdict.IsValid, verdict.Message);
            Assert.Equal("ok", await orders.GetStringAsync("/ping"));
        }
        else
        {
            Assert.Equal(MtlsRejectionReason.RevocationUnknown, verdict.Reason);
            Assert.Contains("set Mtls:Server:Revocation:AllowStaleCrl to true", verdict.Message, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => orders.GetStringAsync("/ping"));
        }

        Directory.Delete(dir, recursive: true);
    }

    /// <summary>A PEM CRL of the issuing CA listing <paramref name="revoked"/>, valid for an hour.</summary>
    private string Crl(int number, DateTimeOffset thisUpdate, params TestCertificate[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate.Certificate, thisUpdate, X509RevocationReason.KeyCompromise);
        }

        var der = builder.Build(pki.Issuing.Certificate, new BigInteger(number), thisUpdate.AddHours(1), HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
        return PemEncoding.WriteString("X509 CRL", der) + "\n";
    }
}
