using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// TLS session resumption by peers nobody here wrote (openssl s_client -sess_out/-sess_in, Python's ssl with session=),
/// the client chain going through an intermediate the server does not pin: a resumed session is accepted exactly when a
/// full handshake would be now, and rejected with the reason a full handshake would get.
/// </summary>
public sealed class ResumptionTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private const string Request = "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    private const string PythonClient = """
        import socket, ssl, sys
        port, cert, key, ca, version, count = sys.argv[1:7]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(ca)
        if version == '1.2':
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        def get(session):
            with socket.create_connection(('127.0.0.1', int(port))) as raw:
                try:
                    s = ctx.wrap_socket(raw, server_hostname='localhost', session=session)
                except (ssl.SSLError, OSError) as e:
                    return session, False, 'handshake-error ' + type(e).__name__
                with s:
                    s.sendall(b'GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
                    data = b''
                    try:
                        while True:
                            chunk = s.recv(4096)
                            if not chunk:
                                break
                            data += chunk
                    except (ssl.SSLError, OSError) as e:
                        data += b'read-error'
                    status = data.split(b'\r\n')[0].decode(errors='replace') or 'no-response'
                    return s.session, s.session_reused, status
        session, reused, status = get(None)
        print('full', reused, status)
        for i in range(int(count)):
            _, reused, status = get(session)
            print('resumed', reused, status)
        """;

    private (string Cert, string Key) Write(TestCertificate certificate, string name)
    {
        var cert = Path.Combine(pki.Directory, name + ".pem");
        var key = Path.Combine(pki.Directory, name + ".key");
        certificate.WritePem(cert, key);
        return (cert, key);
    }

    internal static MetricCollector<long> CollectHandshakes(IServiceProvider services) =>
        new(services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.HandshakesInstrument);

    /// <summary>The handshakes seen: (resumed, error.type or "ok").</summary>
    internal static (bool Resumed, string Outcome)[] Handshakes(MetricCollector<long> collector) =>
        collector.GetMeasurementSnapshot()
            .Select(m => ((bool)m.Tags["tls.resumed"]!, m.Tags.TryGetValue("error.type", out var e) ? (string)e! : "ok"))
            .ToArray();

    private static Task<(int, string)> SClientAsync(int port, string cert, string key, string version, string session, bool resume) =>
        ExternalProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-cert", cert, "-key", key, "-cert_chain", cert, "-CAfile", Path.Combine(Path.GetDirectoryName(cert)!, "ca.pem"), version, resume ? "-sess_in" : "-sess_out", session, "-ign_eof"], Request);

    private static Task<(int, string)> SClientLeafOnlyAsync(int port, string cert, string key, string version, string? session = null) =>
        ExternalProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-cert", cert, "-key", key, "-CAfile", Path.Combine(Path.GetDirectoryName(cert)!, "ca.pem"), version, .. session is null ? Array.Empty<string>() : ["-sess_in", session], "-ign_eof"], Request);

    private static Task WhenChangedAsync(Func<IChangeToken> token)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token().RegisterChangeCallback(_ => changed.TrySetResult(), null);
        return changed.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [InteropTheory("openssl")]
    [InlineData("-tls1_3", "TLSv1.3")]
    [InlineData("-tls1_2", "TLSv1.2")]
    public async Task OpensslSessIn_ChainThroughUnpinnedIntermediate_ResumedSessionGets200(string flag, string version)
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(pki.Orders, "resume-orders" + flag);
        var session = Path.Combine(pki.Directory, "session" + flag);

        var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, flag, session, resume: false);
        Assert.True(full.Contains("HTTP/1.1 200", StringComparison.Ordinal), full);
        Assert.Contains($"New, {version}", full, StringComparison.Ordinal);

        var (_, resumed) = await SClientAsync(host.BaseAddress.Port, cert, key, flag, session, resume: true);
        Assert.Contains($"Reused, {version}", resumed, StringComparison.Ordinal);
        Assert.True(resumed.Contains("HTTP/1.1 200", StringComparison.Ordinal), resumed);
        Assert.Equal([(false, "ok"), (true, "ok")], Handshakes(handshakes));
    }

    [InteropTheory("python3")]
    [InlineData("1.3")]
    [InlineData("1.2")]
    public async Task PythonSslSession_ResumesByItself_EveryResumedRequestGets200(string version)
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(pki.Orders, "python-orders-" + version);

        var (code, output) = await ExternalProcess.RunAsync("python3", ["-c", PythonClient, host.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cert, key, pki.CaPath, version, "3"]);

        Assert.True(code == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("full False HTTP/1.1 200 OK", lines[0]);
        Assert.Equal(["resumed True HTTP/1.1 200 OK", "resumed True HTTP/1.1 200 OK", "resumed True HTTP/1.1 200 OK"], lines[1..4]);
        Assert.Equal(3, Handshakes(handshakes).Count(h => h is (true, "ok")));
    }

    [InteropFact("openssl")]
    public async Task OpensslSessIn_AfterCaUnpinned_ResumedSessionIsRejectedLikeAFullHandshake()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-resume-unpin-").FullName;
        var caPath = Path.Combine(dir, "trust.pem");
        FileWriter.WriteAtomically(caPath, pki.Root.ExportCertificatePem());
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:TrustedCa:Path"] = caPath,
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(pki.Orders, "unpin-orders");
        var session = Path.Combine(pki.Directory, "session-unpin");
        var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: false);
        Assert.True(full.Contains("HTTP/1.1 200", StringComparison.Ordinal), full);

        using var otherRoot = TestPki.CreateRoot("Other Root");
        var server = host.Services.GetRequiredService<MutualTlsServer>();
        var changed = WhenChangedAsync(server.Trust.GetChangeToken);
        FileWriter.WriteAtomically(caPath, otherRoot.ExportCertificatePem());
        await changed;

        var (_, resumed) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: true);
        Assert.Contains("Reused, TLSv1.3", resumed, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", resumed, StringComparison.Ordinal);
        var (_, fresh) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session + "-fresh", resume: false);
        Assert.DoesNotContain("HTTP/1.1 200", fresh, StringComparison.Ordinal);
        Assert.Equal([(false, "ok"), (true, nameof(MtlsRejectionReason.UntrustedRoot)), (false, nameof(MtlsRejectionReason.UntrustedRoot))], Handshakes(handshakes));
        Directory.Delete(dir, recursive: true);
    }

    [InteropFact("openssl")]
    public async Task OpensslSessIn_AfterLeafExpired_ResumedSessionIsRejectedExpired()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var shortLived = pki.Issuing.IssueLeaf("short-lived", o => o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId).ValidBetween(time.GetUtcNow().AddMinutes(-5), time.GetUtcNow().AddHours(1)));
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddSingleton<TimeProvider>(time));
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(shortLived, "short-lived");
        var session = Path.Combine(pki.Directory, "session-expiry");
        var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: false);
        Assert.True(full.Contains("HTTP/1.1 200", StringComparison.Ordinal), full);

        time.Advance(TimeSpan.FromHours(2));

        var (_, resumed) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: true);
        Assert.Contains("Reused, TLSv1.3", resumed, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", resumed, StringComparison.Ordinal);
        Assert.Equal([(false, "ok"), (true, nameof(MtlsRejectionReason.Expired))], Handshakes(handshakes));
    }

    [InteropFact("openssl")]
    public async Task OpensslSessIn_AfterPeerRemovedFromAllowedPeers_ResumedSessionIsRejectedIdentityNotAllowed()
    {
        var configuration = new ReloadableConfiguration(new Dictionary<string, string?> { ["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.OrdersId });
        using var host = new MtlsTestHost(pki, configureConfiguration: c => c.Add(configuration));
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(pki.Orders, "allowed-orders");
        var session = Path.Combine(pki.Directory, "session-allowed");
        var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: false);
        Assert.True(full.Contains("HTTP/1.1 200", StringComparison.Ordinal), full);

        var monitor = host.Services.GetRequiredService<IOptionsMonitor<MutualTlsOptions>>();
        configuration.Replace("Mtls:Server:AllowedPeers", new Dictionary<string, string?> { ["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.BillingId });
        Assert.Equal([TestPkiFixture.BillingId], monitor.CurrentValue.AllowedPeers);
        Assert.Equal(TestPkiFixture.BillingId, Assert.Single(host.Services.GetRequiredService<MutualTlsServer>().PeerOptions.AllowedPeers).ToString());

        var (_, resumed) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: true);
        Assert.Contains("Reused, TLSv1.3", resumed, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", resumed, StringComparison.Ordinal);
        Assert.Equal([(false, "ok"), (true, nameof(MtlsRejectionReason.IdentityNotAllowed))], Handshakes(handshakes));
    }

    [InteropFact("openssl")]
    public async Task Resumption_Disabled_NoSessionIsResumed()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:Resumption"] = "Disabled" });
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(pki.Orders, "noresume-orders");
        foreach (var (flag, version) in new[] { ("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2") })
        {
            var session = Path.Combine(pki.Directory, "session-disabled" + flag);
            var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, flag, session, resume: false);
            Assert.True(full.Contains("HTTP/1.1 200", StringComparison.Ordinal), full);
            if (File.Exists(session))
            {
                var (_, again) = await SClientAsync(host.BaseAddress.Port, cert, key, flag, session, resume: true);
                Assert.Contains($"New, {version}", again, StringComparison.Ordinal);
                Assert.True(again.Contains("HTTP/1.1 200", StringComparison.Ordinal), again);
            }
        }

        Assert.All(Handshakes(handshakes), h => Assert.Equal((false, "ok"), h));
    }

    [InteropTheory("openssl")]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task OpensslLeafOnly_AfterAnotherConnectionSentTheChain_FullHandshakeStillRefused(string flag)
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var (cert, key) = Write(pki.Orders, "leaf-only-orders" + flag);

        var (_, before) = await SClientLeafOnlyAsync(host.BaseAddress.Port, cert, key, flag);
        var (_, withChain) = await SClientAsync(host.BaseAddress.Port, cert, key, flag, Path.Combine(pki.Directory, "session-leaf-only" + flag), resume: false);
        var (_, after) = await SClientLeafOnlyAsync(host.BaseAddress.Port, cert, key, flag);

        // One verdict per what the client sends, whatever other connections sent before: a full handshake is judged on
        // what its peer sent (plus the pinned CAs); remembered intermediates serve resumed sessions only.
        Assert.DoesNotContain("HTTP/1.1 200", before, StringComparison.Ordinal);
        Assert.True(withChain.Contains("HTTP/1.1 200", StringComparison.Ordinal), withChain);
        Assert.DoesNotContain("HTTP/1.1 200", after, StringComparison.Ordinal);
        // The reason names what the server knows: before any client sent the intermediate, its issuer is a CA not pinned
        // here (UntrustedRoot, the sentence says "if it is an intermediate below a pinned CA, the peer must send it");
        // once the intermediate is known to chain to a pinned CA, the leaf-only peer is told to send it (PartialChain).
        Assert.Equal([(false, nameof(MtlsRejectionReason.UntrustedRoot)), (false, "ok"), (false, nameof(MtlsRejectionReason.PartialChain))], Handshakes(handshakes));
    }

    [InteropFact("openssl")]
    public async Task OpensslSessIn_LeafNeverAccepted_ResumedSessionIsRejectedWithTheFullHandshakesReason()
    {
        // Allow: the refused handshake completes, so the client holds a session to resume.
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:ClientCertificateMode"] = "Allow" });
        host.StartServer();
        using var handshakes = CollectHandshakes(host.Services);
        var now = DateTimeOffset.UtcNow;
        using var expired = pki.Issuing.IssueLeaf("expired-before", o => o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId).ValidBetween(now.AddHours(-2), now.AddHours(-1)));
        var (cert, key) = Write(expired, "never-accepted");
        var session = Path.Combine(pki.Directory, "session-never-accepted");

        var (_, full) = await SClientAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session, resume: false);
        var (_, resumed) = await SClientLeafOnlyAsync(host.BaseAddress.Port, cert, key, "-tls1_3", session);

        Assert.Contains("New, TLSv1.3", full, StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.3", resumed, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", resumed, StringComparison.Ordinal);
        var reason = nameof(MtlsRejectionReason.Expired);
        Assert.Equal([(false, reason), (true, reason)], Handshakes(handshakes));
    }
}
