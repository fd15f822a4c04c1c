using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Spiffe.Internal;
using Mtls.Extensions.Spiffe.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>
/// The workload's own SVID is judged by the X509-SVID rules (§4, §5) before it is served, from every SPIFFE source:
/// a bad first load stops start-up naming the problem; a bad update is discarded, reported and counted, the last good stays.
/// </summary>
public sealed class OwnSvidTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly SpiffePki _pki = new();
    private readonly List<IDisposable> _disposables = [];
    private readonly string _folder = Directory.CreateTempSubdirectory("spiffe-own-svid-").FullName;
    private FakeWorkloadApi _api = null!;

    public static TheoryData<string, string> BadSvids => new()
    {
        { "CaLeaf", "is a CA certificate" },
        { "NoKeyUsage", "has no key usage extension" },
        { "KeyCertSign", "KeyCertSign" },
        { "NonCaSigner", "not a CA with keyCertSign" },
    };

    public async Task InitializeAsync() => _api = await FakeWorkloadApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _pki.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [MemberData(nameof(BadSvids))]
    public async Task WorkloadApi_UpdateWithBadSvid_DiscardedCountedAndLastGoodKept(string kind, string expected)
    {
        using var services = new ServiceCollection().AddLogging().AddMetrics().AddMtlsCore().BuildServiceProvider();
        using var reloads = new MetricCollector<long>(services.GetRequiredService<IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.ReloadsInstrument);
        var logger = new FakeLogger<WorkloadApiClient>();
        using var good = _pki.IssueServer();
        _api.Publish(_pki.Svid(good));
        using var client = new WorkloadApiClient(WorkloadApiAddress.Parse(_api.Address, "test"), TimeProvider.System, logger, services.GetRequiredService<MtlsMetrics>());
        var first = client.WaitForFirst(Wait, "test");

        var discarded = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Discarded += reason => discarded.TrySetResult(reason);
        _api.Publish(_pki.Svid(Bad(kind)));
        var reason = await discarded.Task.WaitAsync(Wait);

        Assert.Contains(expected, reason, StringComparison.Ordinal);
        Assert.Contains("not a valid X509-SVID", reason, StringComparison.Ordinal);
        Assert.Same(first, client.Current);
        Assert.Equal(good.ThumbprintSha256, client.Current!.Svids[0].Material.ThumbprintSha256);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 604 && r.Message.Contains(expected, StringComparison.Ordinal));
        Assert.Contains(reloads.GetMeasurementSnapshot(), m => m.Tags.Any(t => t.Value as string == "failure"));
    }

    [Theory]
    [MemberData(nameof(BadSvids))]
    public async Task WorkloadApi_FirstMessageWithBadSvid_StartupStopsNamingTheProblem(string kind, string expected)
    {
        _api.Publish(_pki.Svid(Bad(kind)));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SpiffeServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:WorkloadApi:Socket"] = _api.Address,
        }));
        Assert.Contains(expected, ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadSvids))]
    public async Task SpiffeHelper_FirstLoadWithBadSvid_StartupStopsNamingTheProblem(string kind, string expected)
    {
        new SpiffeHelperWriter(_folder).Write(Bad(kind), _pki.Root.ExportCertificatePem());
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SpiffeServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Directory"] = _folder,
            ["Mtls:Server:Certificate:Layout"] = "SpiffeHelper",
        }));
        Assert.Contains(expected, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Certificate", ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadSvids))]
    public async Task FilesystemDelivery_UpdateWithBadSvid_LastGoodKeptAndFailureVisible(string kind, string expected)
    {
        using var good = _pki.IssueServer();
        WriteCredentialBundle(good);
        File.WriteAllText(Path.Combine(_folder, "example.org.spiffe-trust-bundle.pem"), _pki.Root.ExportCertificatePem());
        await using var server = await SpiffeServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Directory"] = _folder,
            ["Mtls:Server:Certificate:Layout"] = "SpiffeFilesystem",
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        var source = server.Services.GetRequiredService<MtlsSourceFactory>().GetCertificateSource("server", new CertificateSourceOptions());
        var status = (IMtlsSourceStatus)source;
        var before = status.LastFailure;

        WriteCredentialBundle(Bad(kind));
        await UntilAsync(() => status.LastFailure != before, "the failed reload");

        Assert.Contains(expected, status.LastError!.Message, StringComparison.Ordinal);
        Assert.Equal(good.ThumbprintSha256, source.Current.ThumbprintSha256);
        using var client = _pki.IssueClient();
        using var presented = await server.HandshakeAsync(client.Certificate);
        Assert.Equal(good.ThumbprintSha256, Convert.ToHexString(presented.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)));
    }

    private TestCertificate Bad(string kind)
    {
        var leaf = kind switch
        {
            "CaLeaf" => _pki.Root.IssueLeaf("ca-leaf", o => o.ForServer().WithDnsNames("localhost").WithSpiffeId(SpiffePki.ServerId).IsCa = true),
            "NoKeyUsage" => _pki.Root.IssueLeaf("no-ku", o => o.ForServer().WithDnsNames("localhost").WithSpiffeId(SpiffePki.ServerId).KeyUsage = X509KeyUsageFlags.None),
            "KeyCertSign" => _pki.Root.IssueLeaf("cert-sign", o => o.ForServer().WithDnsNames("localhost").WithSpiffeId(SpiffePki.ServerId).KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign),
            _ => NonCaSigner().IssueLeaf("under-non-ca", o => o.ForServer().WithDnsNames("localhost").WithSpiffeId(SpiffePki.ServerId)),
        };
        _disposables.Add(leaf);
        return leaf;
    }

    private TestCertificateAuthority NonCaSigner()
    {
        var signer = _pki.Root.CreateIntermediate("not a CA", o => o.IsCa = false);
        _disposables.Add(signer);
        return signer;
    }

    private void WriteCredentialBundle(TestCertificate leaf)
    {
        var temp = Path.Combine(_folder, ".credential.tmp");
        File.WriteAllText(temp, leaf.ExportKeyPem() + leaf.ExportCertificatePem(includeChain: true));
        File.Move(temp, Path.Combine(_folder, "credential-bundle.private-key.pem"), overwrite: true);
    }

    /// <summary>Checks a condition each time the source's state may have moved; bounded by <see cref="Wait"/>.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Wait)
            {
                throw new TimeoutException($"{what} did not happen within {Wait.TotalSeconds} s.");
            }

            await Task.Delay(20);
        }
    }
}
